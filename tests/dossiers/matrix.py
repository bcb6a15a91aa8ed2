"""Permission-matrix rows and objects for dossiers and briefing packs (#9); tests/test_permissions.py joins them."""

from evalprep.dossiers.models import Job, JobStatus

# Same columns and format as tests/test_permissions.MATRIX.
#   url name                     method  object key          anon no  co  le  ad  ds  dh  ts  th  su  vc
ROWS = [
    ("dossiers:dossier_index",   "get",  None,              "302 404 200 200 200 302 302 200 200 200 302"),
    ("dossiers:dossier_unit",    "get",  "village/V1",      "302 404 200 200 200 404 404 200 200 200 200"),
    ("dossiers:dossier_unit",    "get",  "village/V3",      "302 404 200 200 200 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "village/VB",      "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "department/D1",   "302 404 200 200 200 200 200 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "department/D2",   "302 404 200 200 200 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "department/DB",   "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "county/DS_C",     "302 404 200 200 200 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "county/DS_CB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dossier_unit",    "get",  "township/T1",     "302 404 404 404 404 404 404 404 404 404 404"),
    # POSTs without a builder are refused with a message (302 back to the unit's page) once the unit is in scope.
    ("dossiers:dossier_build",   "post", "village/V1",      "302 404 302 302 302 404 404 302 302 302 302"),
    ("dossiers:dossier_build",   "post", "village/V3",      "302 404 302 302 302 404 404 404 404 404 404"),
    ("dossiers:dossier_build",   "post", "village/VB",      "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dossier_build",   "post", "department/D1",   "302 404 302 302 302 302 302 404 404 404 404"),
    ("dossiers:dossier_build",   "post", "department/D2",   "302 404 302 302 302 404 404 404 404 404 404"),
    ("dossiers:dossier_build",   "post", "county/DS_C",     "302 404 302 302 302 404 404 404 404 404 404"),
    ("dossiers:dossier_build",   "post", "county/DS_CB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dossier_build",   "get",  "village/V1",      "302 405 405 405 405 405 405 405 405 405 405"),
    ("dossiers:job_rebuild",     "post", "DS_job_coordinator", "302 404 302 404 302 404 404 404 404 404 404"),
    ("dossiers:job_rebuild",     "post", "DS_job_cadre",    "302 404 302 404 302 404 404 404 404 404 302"),
    ("dossiers:job_rebuild",     "post", "DS_job_other",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:job_rebuild",     "post", "J_coordinator",   "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:dashboard",       "get",  None,              "302 404 200 200 200 404 404 404 404 404 404"),
]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix."""
    other_village = world.other_county.townships.get().villages.get()

    def job(user, county, village) -> Job:
        return Job.objects.create(
            county=county, kind="dossier", title="村档案", created_by=user, status=JobStatus.SUCCEEDED,
            params={"builder": "village_dossier", "scope": "village", "unit_id": village.pk, "format": "pdf"},
        )

    return {
        "DS_C": world.county,
        "DS_CB": world.other_county,
        "DS_job_coordinator": job(world.users["coordinator"], world.county, world.villages[0]),
        "DS_job_cadre": job(world.users["village_cadre"], world.county, world.villages[0]),
        "DS_job_other": job(world.users["other_coordinator"], world.other_county, other_village),
    }
