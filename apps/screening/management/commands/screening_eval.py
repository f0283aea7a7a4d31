"""Print recall and precision of the name matcher on the labelled evaluation set."""
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from apps.screening.matching import ALGORITHM_VERSION, THRESHOLDS
from apps.screening.matching_eval import (
    BUILTIN_RECORDS,
    EVAL_SET,
    builtin_rows,
    evaluate,
    load_eval_rows,
    wordfreq_render,
)
from apps.screening.matching_sources import DEFAULT_LISTS_DIR, LAST_LOAD, load_list_records


class Command(BaseCommand):
    help = (
        "Evaluate apps.screening.matching on tests/screening/eval_set.csv against an index of ALL entity names "
        "of the real list files (../shared/data/lists), or a small built-in list when they are absent."
    )

    def add_arguments(self, parser):
        parser.add_argument("--lists", type=Path, default=DEFAULT_LISTS_DIR, help="folder of the real list files")
        parser.add_argument("--eval-set", type=Path, default=EVAL_SET)
        parser.add_argument("--failures", action="store_true", help="print every missed or false match")
        parser.add_argument("--write-wordfreq", action="store_true",
                            help="regenerate apps/screening/matching_wordfreq.py from the real lists and stop")

    def handle(self, *args, **options):
        eval_path: Path = options["eval_set"]
        if not eval_path.is_file():
            raise CommandError(f"evaluation set not found: {eval_path}")
        rows = load_eval_rows(eval_path)
        lists_dir: Path = options["lists"]
        if options["write_wordfreq"]:
            if not lists_dir.is_dir():
                raise CommandError(f"real list files not found at {lists_dir}")
            target = Path(__file__).resolve().parents[2] / "matching_wordfreq.py"
            target.write_text(wordfreq_render(load_list_records(lists_dir)), encoding="utf-8")
            self.stdout.write(f"wrote {target}")
            return
        if lists_dir.is_dir():
            records = load_list_records(lists_dir)
            readers = sorted(set(LAST_LOAD.values()))
            source = f"real lists in {lists_dir} ({len(records)} entries; read by: {', '.join(readers)})"
        else:
            records = list(BUILTIN_RECORDS)
            rows = builtin_rows(rows)
            source = f"BUILT-IN list of {len(records)} entries ({lists_dir} not found): only the rows about them"
            self.stderr.write(self.style.WARNING(f"real list files not found at {lists_dir}; using a small "
                                                 "built-in list, figures are NOT comparable"))
        report = evaluate(records, rows)
        self.stdout.write(f"matcher {ALGORITHM_VERSION}; thresholds {THRESHOLDS}")
        self.stdout.write(f"index: {source}")
        for line in report.lines():
            self.stdout.write(line)
        if options["failures"]:
            for line in report.failures:
                self.stdout.write(line)
