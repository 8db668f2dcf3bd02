#!/usr/bin/env python3
"""check-dist.py ZIP: the PGXN distribution is well formed.

Checks META.json inside ZIP against the PGXN meta spec 1.0.0 (required keys,
semantic versions, known license, provides with existing files), that its
versions equal the control file's default_version, and that the zip holds
only one top directory named <name>-<version>. Exits 1 with a reason."""
import json
import re
import sys
import zipfile

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+)?$")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd", "gfdl_1_2",
            "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit", "mozilla_1_0", "mozilla_1_1",
            "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay", "sun", "zlib", "open_source", "restricted",
            "unrestricted", "unknown"}


def fail(msg):
    print("check-dist: " + msg)
    sys.exit(1)


def main():
    z = zipfile.ZipFile(sys.argv[1])
    names = z.namelist()
    tops = {n.split("/", 1)[0] for n in names}
    if len(tops) != 1:
        fail("the zip must hold one top directory, found %s" % sorted(tops))
    top = tops.pop()
    meta = json.loads(z.read(top + "/META.json"))
    for key in ("name", "version", "abstract", "maintainer", "license", "provides", "meta-spec"):
        if key not in meta:
            fail("META.json lacks the required key %r" % key)
    if meta["meta-spec"].get("version") != "1.0.0":
        fail("META.json must declare meta-spec version 1.0.0")
    if not SEMVER.match(meta["version"]):
        fail("version %r is not a semantic version" % meta["version"])
    if top != "%s-%s" % (meta["name"], meta["version"]):
        fail("top directory %r is not %s-%s" % (top, meta["name"], meta["version"]))
    lic = meta["license"]
    for l in ([lic] if isinstance(lic, str) else list(lic) if isinstance(lic, list) else list(lic.keys())):
        if isinstance(lic, dict):
            continue
        if l not in LICENSES:
            fail("license %r is not one of the spec's license strings" % l)
    control = z.read(top + "/pg_privacy.control").decode()
    default = re.search(r"^default_version = '([^']*)'", control, re.M).group(1)
    if meta["version"] != default:
        fail("META.json version %s differs from default_version %s" % (meta["version"], default))
    for ext, p in meta["provides"].items():
        for key in ("file", "version"):
            if key not in p:
                fail("provides.%s lacks %r" % (ext, key))
        if not SEMVER.match(p["version"]) or p["version"] != default:
            fail("provides.%s.version %r must be the default_version %s" % (ext, p["version"], default))
        for key in ("file", "docfile"):
            if key in p and top + "/" + p[key] not in names:
                fail("provides.%s.%s names %s, which is not in the distribution" % (ext, key, p[key]))
    generated = [n for n in names if re.search(r"\.(o|so|bc|d)$", n) or "/build/" in n]
    if generated:
        fail("build outputs in the distribution: %s" % generated[:5])
    print("check-dist: %s: META.json valid, %d files" % (top, len(names)))


main()
