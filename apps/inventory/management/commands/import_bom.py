"""Import a bill of materials (CycloneDX JSON/XML, SPDX 2.x JSON/tag-value, SPDX 3.0 JSON-LD) for a product model
or one unit: a dry run by default (what would be stored, the vendor mapping, the diff with the current version),
--commit to store it. The same service as the web and the API (apps.inventory.bom)."""
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.accounts.models import Organization
from apps.common.exceptions import ApplicationError
from apps.inventory.bom import bom_commit, bom_preview
from apps.inventory.models import Equipment, ProductModel


class Command(BaseCommand):
    help = "Import a CycloneDX or SPDX bill of materials for a product model or a unit (dry run unless --commit)."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The BOM file.")
        parser.add_argument("--organization", required=True, help="Organisation slug (or id).")
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--product-model", type=int, help="Product model id: the BOM of the model as installed.")
        target.add_argument("--equipment", type=int, help="Equipment id: the BOM of one unit.")
        parser.add_argument("--resolve", action="append", default=[], metavar="NAME=VENDOR_ID",
                            help="Map a supplier name the registry does not know to an existing vendor (repeat).")
        parser.add_argument("--commit", action="store_true", help="Store the document (otherwise a dry run).")

    def handle(self, *args, path: str, organization: str, product_model=None, equipment=None, resolve=(),
               commit: bool = False, **options):
        org = Organization.objects.filter(slug=organization).first()
        if org is None and organization.isdigit():
            org = Organization.objects.filter(pk=int(organization)).first()
        if org is None:
            raise CommandError(f"No organisation {organization!r}.")
        target: dict = {}
        if product_model is not None:
            target["product_model"] = ProductModel.objects.filter(pk=product_model).first()
            if target["product_model"] is None:
                raise CommandError(f"No product model {product_model}.")
        else:
            target["equipment"] = Equipment.objects.select_related("site", "product_model").filter(
                pk=equipment, site__organization=org).first()
            if target["equipment"] is None:
                raise CommandError(f"No unit {equipment} in {org}.")
        resolutions = {}
        for item in resolve:
            name, sep, vendor_id = item.rpartition("=")
            if not sep or not vendor_id.isdigit():
                raise CommandError(f"--resolve takes NAME=VENDOR_ID, not {item!r}.")
            resolutions[name] = int(vendor_id)
        file = Path(path)
        if not file.is_file():
            raise CommandError(f"No file {path}.")
        data = file.read_bytes()
        try:
            preview = bom_preview(organization=org, data=data, resolutions=resolutions, **target)
            result = preview.as_dict()
            if commit:
                document = bom_commit(organization=org, data=data, filename=file.name, resolutions=resolutions,
                                      **target)
                result["stored"] = {"id": document.pk, "version": document.version}
        except ApplicationError as exc:
            raise CommandError(f"Refused: {exc.message}") from exc
        self.stdout.write(json.dumps(result, indent=2, default=str))
