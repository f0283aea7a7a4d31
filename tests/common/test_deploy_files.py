"""docker-compose.yml and the Dockerfile agree (no Docker engine here: checked by reading them): every named
volume the app containers mount is a folder the image creates and gives to the app user, so the first upload
or checkpoint does not fail on a root-owned mount point."""
from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_app_volumes_are_created_and_owned_by_the_app_user_in_the_image():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    mounts = {v.split(":")[1] for v in compose["x-app"]["volumes"]}
    assert "/app/media" in mounts and compose["x-app"]["environment"]["MEDIA_ROOT"] == "/app/media"
    dockerfile = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    (run,) = [line for line in dockerfile.splitlines() if "useradd" in line]
    made = set(re.search(r"mkdir -p ([^&]+)&&", run).group(1).split())
    owned = set(re.search(r"chown -R vendorrisk ([^&]+)&&", run).group(1).split())
    assert mounts <= made and mounts <= owned, (mounts, made, owned)
    assert dockerfile.index("useradd") < dockerfile.index("USER vendorrisk")
