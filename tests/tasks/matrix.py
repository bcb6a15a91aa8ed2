"""Permission-matrix rows and objects for department tasks (#7); tests/test_permissions.py joins them.

Every POST here is refused after the permission check (no file, no text, no
plan name, wrong state) so a row's status never depends on another's, except
plan_assign_all, which only adds assignments nobody else here looks at.
"""

from datetime import date

from tasks.models import Notification, NotificationKind, TaskTemplate
from tasks.services import deliverable_files_add, finding_create, finding_rectify, task_assign, task_plan_load
from tests.tasks.conftest import PDF, upload

# Same columns and format as tests/test_permissions.MATRIX.
#   url name                           method  object key   anon no  co  le  ad  ds  dh  ts  th  su  vc
ROWS = [
    ("tasks:assignments",              "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:assignment",               "get",  "TK_A1",    "302 404 200 200 200 200 200 404 404 404 404"),
    ("tasks:assignment",               "get",  "TK_A2",    "302 404 200 200 200 404 404 404 404 404 404"),
    ("tasks:assignment",               "get",  "TK_AV1",   "302 404 200 200 200 404 404 200 200 200 200"),
    ("tasks:assignment",               "get",  "TK_AB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:assignment_files",         "post", "TK_A1",    "302 404 302 403 302 302 302 404 404 404 404"),
    ("tasks:assignment_files",         "post", "TK_AV1",   "302 404 302 403 302 404 404 302 302 403 302"),
    ("tasks:assignment_files",         "get",  "TK_A1",    "302 405 405 405 405 405 405 405 405 405 405"),
    ("tasks:assignment_list_upload",   "post", "TK_A1",    "302 404 302 403 302 302 302 404 404 404 404"),
    ("tasks:assignment_list_upload",   "post", "TK_AB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:assignment_submit",        "post", "TK_A1",    "302 404 302 403 302 302 302 404 404 404 404"),
    ("tasks:assignment_sign_off",      "post", "TK_A1",    "302 404 403 403 403 403 302 404 404 404 404"),
    ("tasks:assignment_sign_off",      "post", "TK_AV1",   "302 404 403 403 403 404 404 403 302 403 403"),
    ("tasks:assignment_accept",        "post", "TK_A1",    "302 404 302 403 302 403 403 404 404 404 404"),
    ("tasks:assignment_return",        "post", "TK_A1",    "302 404 302 403 302 403 403 404 404 404 404"),
    ("tasks:assignment_comment",       "post", "TK_A1",    "302 404 302 302 302 302 302 404 404 404 404"),
    ("tasks:assignment_due",           "post", "TK_A1",    "302 404 302 403 302 403 403 404 404 404 404"),
    ("tasks:deliverable_download",     "get",  "TK_D1",    "302 404 200 200 200 200 200 404 404 404 404"),
    ("tasks:deliverable_download",     "get",  "TK_DB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:sign_off_queue",           "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:plan",                     "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:plan_load",                "post", None,       "302 404 302 403 302 403 403 403 403 403 403"),
    ("tasks:plan_assign_all",          "post", None,       "302 404 302 403 302 403 403 403 403 403 403"),
    ("tasks:template",                 "get",  "TK_T",     "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:template",                 "post", "TK_T",     "302 404 200 403 200 403 403 403 403 403 403"),
    ("tasks:template",                 "get",  "TK_TB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:template_workbook",        "get",  "TK_T",     "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:board",                    "get",  None,       "302 404 200 200 200 404 404 404 404 404 404"),
    ("tasks:contacts",                 "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:notifications",            "get",  None,       "302 200 200 200 200 200 200 200 200 200 200"),
    ("tasks:notification_open",        "post", "TK_N",     "302 404 302 404 404 404 404 404 404 404 404"),
    ("tasks:notifications_read_all",   "post", None,       "302 302 302 302 302 302 302 302 302 302 302"),
    ("tasks:findings",                 "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:finding_new",              "get",  None,       "302 404 200 403 200 403 403 403 403 200 403"),
    ("tasks:findings_import",          "get",  None,       "302 404 200 403 200 403 403 403 403 403 403"),
    ("tasks:findings_export",          "get",  None,       "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:findings_overview",        "get",  None,       "302 404 200 200 200 404 404 404 404 404 404"),
    ("tasks:finding",                  "get",  "TK_F1",    "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:finding",                  "get",  "TK_F3",    "302 404 200 200 200 404 404 404 404 404 404"),
    ("tasks:finding",                  "get",  "TK_FB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:finding_rectify",          "post", "TK_F1",    "302 404 302 403 302 302 302 403 403 403 403"),
    ("tasks:finding_close",            "post", "TK_F1",    "302 404 302 403 302 403 403 403 403 403 403"),
    ("tasks:finding_reopen",           "post", "TK_F1",    "302 404 302 403 302 403 403 403 403 403 403"),
    ("tasks:finding_reopen",           "post", "TK_FB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:finding_evidence",         "get",  "TK_FE1",   "302 404 200 200 200 200 200 200 200 200 200"),
    ("tasks:finding_evidence",         "get",  "TK_FEB",   "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:village_board",            "get",  "V1",       "302 404 200 200 200 404 404 200 200 200 200"),
    ("tasks:village_board",            "get",  "V3",       "302 404 200 200 200 404 404 404 404 404 404"),
    ("tasks:village_board",            "get",  "VB",       "302 404 404 404 404 404 404 404 404 404 404"),
    ("tasks:guides",                   "get",  "V1",       "302 404 200 403 200 404 404 200 200 403 200"),
    ("tasks:guides",                   "get",  "V3",       "302 404 200 403 200 404 404 404 404 404 404"),
]


def _assign(campaign, code: str, unit, user):
    template = TaskTemplate.objects.get(campaign=campaign, code=code)
    return task_assign(template=template, units=[unit], user=user)[0]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix."""
    bureau, other_bureau = world.users["coordinator"], world.users["other_coordinator"]
    task_plan_load(campaign=world.campaign, name="2021-plan")
    task_plan_load(campaign=world.other_campaign, name="2021-plan")
    other_department = world.other_county.departments.get()
    other_village = world.other_county.townships.get().villages.get()
    a1 = _assign(world.campaign, "2-1-4", world.departments[0], bureau)
    ab = _assign(world.other_campaign, "2-1-4", other_department, other_bureau)
    d1 = deliverable_files_add(assignment=a1, files=[upload("说明.pdf", PDF)], user=world.users["department_staff"])[0]
    db = deliverable_files_add(assignment=ab, files=[upload("说明.pdf", PDF)], user=other_bureau)[0]

    def finding(campaign, user, **unit):
        return finding_create(
            campaign=campaign, user=user, source="evaluation", description="帮扶手册填写不规范", deadline=date(2026, 12, 25), **unit
        )

    f1 = finding(world.campaign, bureau, responsible_department=world.departments[0], village=world.villages[0])
    fb = finding(world.other_campaign, other_bureau, responsible_department=other_department, village=other_village)
    finding_rectify(finding=f1, user=bureau, result="已整改", files=[upload("整改.pdf", PDF)])
    finding_rectify(finding=fb, user=other_bureau, result="已整改", files=[upload("整改.pdf", PDF)])
    return {
        "TK_A1": a1, "TK_A2": _assign(world.campaign, "2-1-1", world.departments[1], bureau),
        "TK_AV1": _assign(world.campaign, "3-8", world.villages[0], bureau), "TK_AB": ab,
        "TK_D1": d1, "TK_DB": db,
        "TK_T": TaskTemplate.objects.get(campaign=world.campaign, code="2-1-4"),
        "TK_TB": TaskTemplate.objects.get(campaign=world.other_campaign, code="2-1-4"),
        "TK_N": Notification.objects.create(
            user=bureau, county=world.county, kind=NotificationKind.EVENT, day=date(2026, 12, 1), title="测试通知",
            url="/tasks/",
        ),
        "TK_F1": f1, "TK_F3": finding(world.campaign, bureau, responsible_township=world.townships[1], village=world.villages[2]),
        "TK_FB": fb, "TK_FE1": f1.evidence.get(), "TK_FEB": fb.evidence.get(),
    }
