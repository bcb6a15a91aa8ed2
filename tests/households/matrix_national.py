"""Permission-matrix rows and objects for households national export (#6); tests/test_permissions.py joins them."""

from datetime import date

# Same columns and format as tests/test_permissions.MATRIX.
#   url name                                     method  object key   anon no  co  le  ad  ds  dh  ts  th  su  vc
ROWS = [
    ("households:national_overview",             "get",  None,      "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:national_upload",               "get",  None,      "302 404 200 403 200 404 404 200 200 403 403"),
    ("households:national_upload",               "post", None,      "302 404 200 403 200 404 404 200 200 403 403"),
    ("households:national_snapshot",             "get",  "N_SA",    "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:national_snapshot",             "get",  "N_ST2",   "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:national_snapshot",             "get",  "N_SB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:national_roster_check",         "post", None,      "302 404 302 403 302 404 404 302 302 403 403"),
    ("households:national_roster_check",         "get",  None,      "302 405 405 405 405 405 405 405 405 405 405"),
    ("households:national_hits",                 "get",  None,      "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:national_hits_export",          "get",  None,      "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:national_hit_mark",             "post", "N_H1",    "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:national_hit_mark",             "post", "N_H3",    "302 404 302 403 302 404 404 404 404 404 404"),
    ("households:national_hit_mark",             "post", "N_HB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:national_discrepancies",        "get",  None,      "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:national_discrepancy_resolve",  "post", "N_D1",    "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:national_discrepancy_resolve",  "post", "N_D3",    "302 404 302 403 302 404 404 404 404 404 404"),
    ("households:national_discrepancy_resolve",  "post", "N_DB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:national_settings",             "get",  None,      "302 404 200 403 200 403 403 403 403 403 403"),
]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix."""
    from households.models import NationalCheckHit, NationalDiscrepancy, NationalSnapshot, SnapshotStatus

    def snapshot(county, township=None):
        return NationalSnapshot.objects.create(county=county, township=township, taken_on=date(2026, 6, 30), status=SnapshotStatus.READY)

    sa, st2, sb = snapshot(world.county), snapshot(world.county, world.townships[1]), snapshot(world.other_county)
    other_village = world.other_county.townships.first().villages.first()

    def hit(key, village, snap):
        return NationalCheckHit.objects.create(
            county=village.township.county, source="system", rule="2.01", subject_key=key, village=village,
            village_label=village.name, explanation="测试说明。", first_snapshot=snap, last_snapshot=snap,
        )

    def discrepancy(key, village, snap):
        return NationalDiscrepancy.objects.create(
            county=village.township.county, village=village, kind="only_system_household", subject_key=key,
            explanation="测试差异。", first_snapshot=snap, last_snapshot=snap, deadline=date(2026, 7, 15),
        )

    v1, _, v3 = world.villages
    return {
        "N_SA": sa, "N_ST2": st2, "N_SB": sb,
        "N_H1": hit("a", v1, sa), "N_H3": hit("b", v3, sa), "N_HB": hit("c", other_village, sb),
        "N_D1": discrepancy("a", v1, sa), "N_D3": discrepancy("b", v3, sa), "N_DB": discrepancy("c", other_village, sb),
    }
