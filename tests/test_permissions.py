"""Every URL × every role → the expected status.

Columns, in order: anonymous, no_role (an account without assignment),
coordinator, leader, administrator, department_staff, department_head,
township_staff, township_head, supervision, village_cadre. All role users
belong to county A and sit in township T1, village V1 and department D1.
A new URL is not done until it has a row here (test_it_covers_every_url).
"""

from datetime import date

import copy
import json

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from evalprep.dossiers.models import Job, JobStatus
from households.models import RosterImport, ScreeningDecision, ScreeningFlag
from households.services import roster_import_preview
from indicators.models import ChecklistRow, EvidenceFile
from indicators.services import evidence_submit
from tests.factories import PASSWORD, make_household
from tests.households.builders import family, header_for, write_xlsx
from tests.dossiers import matrix as dossiers_matrix
from tests.households import matrix_national
from tests.indicators.conftest import EVIDENCE_DATE, PDF, TINY, campaign_use, upload
from tests.interviews import matrix as interviews_matrix
from tests.tasks import matrix as tasks_matrix

# Each module's rows live beside its tests and join the matrix here.
EXTENSIONS = (matrix_national, tasks_matrix, interviews_matrix, dossiers_matrix)

COLUMNS = [
    "anonymous", "no_role", "coordinator", "leader", "administrator", "department_staff",
    "department_head", "township_staff", "township_head", "supervision", "village_cadre",
]

#   url name                     method  object key          anon no  co  le  ad  ds  dh  ts  th  su  vc
MATRIX = [
    ("home",                     "get",  None,            "302 200 200 200 200 200 200 200 200 200 200"),
    ("healthz",                  "get",  None,            "200 200 200 200 200 200 200 200 200 200 200"),
    ("login",                    "get",  None,            "200 302 302 302 302 302 302 302 302 302 302"),
    ("logout",                   "post", None,            "302 302 302 302 302 302 302 302 302 302 302"),
    ("core:org_overview",        "get",  None,            "302 404 200 200 200 404 404 200 200 200 404"),
    ("core:township_detail",     "get",  "T1",            "302 404 200 200 200 404 404 200 200 200 404"),
    ("core:township_detail",     "get",  "T2",            "302 404 200 200 200 404 404 404 404 404 404"),
    ("core:township_detail",     "get",  "TB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("core:village_detail",      "get",  "V1",            "302 404 200 200 200 404 404 200 200 200 200"),
    ("core:village_detail",      "get",  "V2",            "302 404 200 200 200 404 404 200 200 200 404"),
    ("core:village_detail",      "get",  "V3",            "302 404 200 200 200 404 404 404 404 404 404"),
    ("core:village_detail",      "get",  "VB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("core:department_list",     "get",  None,            "302 404 200 200 200 302 302 404 404 404 404"),
    ("core:department_detail",   "get",  "D1",            "302 404 200 200 200 200 200 404 404 404 404"),
    ("core:department_detail",   "get",  "D2",            "302 404 200 200 200 404 404 404 404 404 404"),
    ("core:department_detail",   "get",  "DB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("core:task_force",          "get",  None,            "302 404 200 200 200 200 200 200 200 200 200"),
    ("core:campaign_detail",     "get",  None,            "302 404 200 200 200 200 200 200 200 200 200"),
    ("core:milestone_new",       "get",  None,            "302 404 200 403 200 403 403 403 403 403 403"),
    ("core:milestone_edit",      "get",  "M1",            "302 404 200 403 200 403 403 403 403 403 403"),
    ("core:milestone_edit",      "get",  "MB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("core:org_check_start",     "post", None,            "302 404 302 403 302 403 403 403 403 403 403"),
    ("core:org_check_start",     "get",  None,            "302 405 405 405 405 405 405 405 405 405 405"),
    ("core:audit_log",           "get",  None,            "302 404 200 403 200 403 403 403 403 403 403"),
    ("dossiers:job_list",        "get",  None,            "302 200 200 200 200 200 200 200 200 200 200"),
    ("dossiers:job_detail",      "get",  "J_coordinator", "302 404 200 404 200 404 404 404 404 404 404"),
    ("dossiers:job_detail",      "get",  "J_cadre",       "302 404 200 404 200 404 404 404 404 404 200"),
    ("dossiers:job_detail",      "get",  "J_other",       "302 404 404 404 404 404 404 404 404 404 404"),
    ("dossiers:job_progress",    "get",  "J_coordinator", "302 404 200 404 200 404 404 404 404 404 404"),
    ("dossiers:job_progress",    "get",  "J_cadre",       "302 404 200 404 200 404 404 404 404 404 200"),
    ("dossiers:job_download",    "get",  "J_coordinator", "302 404 200 404 200 404 404 404 404 404 404"),
    ("dossiers:job_download",    "get",  "J_other",       "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:roster",        "get",  None,            "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:roster_export", "get",  None,            "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:roster_template", "get", None,           "302 200 200 200 200 200 200 200 200 200 200"),
    ("households:household",     "get",  "H1",            "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:household",     "get",  "H3",            "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:household",     "get",  "HB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:household_history", "get", "H1",        "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:household_history", "get", "H3",        "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:household_history", "get", "HB",        "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:household_edit", "get", "H1",           "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:household_edit", "get", "H3",           "302 404 200 403 200 404 404 404 404 404 404"),
    ("households:household_edit", "get", "HB",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:household_edit", "post", "H1",          "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:member_reveal", "post", "H1/P1/id_number", "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:member_reveal", "post", "H1/P1/phone",   "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:member_reveal", "post", "H3/P3/id_number", "302 404 200 403 200 404 404 404 404 404 404"),
    ("households:member_reveal", "post", "HB/PB/id_number", "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:monitoring_step", "post", "H1",          "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:monitoring_step", "post", "HB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:import_upload", "get",  None,            "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:import_detail", "get",  "I1",            "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:import_detail", "get",  "IB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:import_errors", "get",  "I1",            "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:import_errors", "get",  "IB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:import_apply",  "post", "I1",            "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:import_apply",  "post", "IB",            "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:screening_worklist",   "get",  None,     "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:screening_run",        "post", None,     "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:screening_run",        "get",  None,     "302 405 405 405 405 405 405 405 405 405 405"),
    ("households:screening_thresholds", "get",  None,     "302 404 200 403 200 403 403 403 403 403 403"),
    ("households:screening_decide",     "post", "F1",     "302 404 302 403 302 404 404 302 302 403 302"),
    ("households:screening_decide",     "post", "F3",     "302 404 302 403 302 404 404 404 404 404 404"),
    ("households:screening_decide",     "post", "FB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:screening_decide",     "get",  "F1",     "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:screening_decide",     "get",  "F3",     "302 404 200 403 200 404 404 404 404 404 404"),
    ("households:screening_decide",     "get",  "FB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:screening_attachment", "get",  "F1",     "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:screening_attachment", "get",  "F3",     "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:screening_attachment", "get",  "FB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:worst_ten",            "get",  "V1",     "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:worst_ten",            "get",  "V3",     "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:worst_ten",            "get",  "VB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:income_estimate",      "get",  "V1",     "302 404 200 200 200 404 404 200 200 200 200"),
    ("households:income_estimate",      "get",  "V3",     "302 404 200 200 200 404 404 404 404 404 404"),
    ("households:income_estimate",      "get",  "VB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("households:income_estimate",      "post", "V1",     "302 404 200 403 200 404 404 200 200 403 200"),
    ("households:income_estimate",      "post", "V3",     "302 404 200 403 200 404 404 404 404 404 404"),
    ("households:income_estimate",      "post", "VB",     "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:checklist",     "get",  None,            "302 404 200 200 200 200 200 200 200 200 200"),
    ("indicators:row",           "get",  "R_V1",          "302 404 200 200 200 404 404 200 200 200 200"),
    ("indicators:row",           "get",  "R_V3",          "302 404 200 200 200 404 404 404 404 404 404"),
    ("indicators:row",           "get",  "R_T1",          "302 404 200 200 200 404 404 200 200 200 404"),
    ("indicators:row",           "get",  "R_D1",          "302 404 200 200 200 200 200 404 404 404 404"),
    ("indicators:row",           "get",  "R_C",           "302 404 200 200 200 404 404 404 404 404 404"),
    ("indicators:row",           "get",  "R_B",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:row_submit",    "post", "R_V1",          "302 404 302 403 302 404 404 302 302 403 302"),
    ("indicators:row_submit",    "post", "R_V3",          "302 404 302 403 302 404 404 404 404 404 404"),
    ("indicators:row_submit",    "post", "R_D1",          "302 404 302 403 302 302 302 404 404 404 404"),
    ("indicators:row_submit",    "post", "R_B",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:row_submit",    "get",  "R_V1",          "302 405 405 405 405 405 405 405 405 405 405"),
    ("indicators:row_sign_off",  "post", "R_V1",          "302 404 403 403 403 404 404 403 302 403 403"),
    ("indicators:row_sign_off",  "post", "R_T1",          "302 404 403 403 403 404 404 403 302 403 404"),
    ("indicators:row_sign_off",  "post", "R_D1",          "302 404 403 403 403 403 302 404 404 404 404"),
    ("indicators:row_sign_off",  "post", "R_B",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:row_accept",    "post", "R_V1",          "302 404 302 403 302 404 404 403 403 403 403"),
    ("indicators:row_accept",    "post", "R_B",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:row_return",    "post", "R_V1",          "302 404 302 403 302 404 404 403 403 403 403"),
    ("indicators:row_return",    "post", "R_D1",          "302 404 302 403 302 403 403 404 404 404 404"),
    ("indicators:row_return",    "post", "R_B",           "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:evidence_download", "get", "E_V1",       "302 404 200 200 200 404 404 200 200 200 200"),
    ("indicators:evidence_download", "get", "E_V3",       "302 404 200 200 200 404 404 404 404 404 404"),
    ("indicators:evidence_download", "get", "E_B",        "302 404 404 404 404 404 404 404 404 404 404"),
    ("indicators:review",        "get",  None,            "302 404 200 200 200 404 404 404 404 404 404"),
    ("indicators:requirement_new", "get", None,           "302 404 200 403 200 403 403 403 403 403 403"),
    ("indicators:requirement_new", "post", None,          "302 404 200 403 200 403 403 403 403 403 403"),
    ("indicators:readiness",     "get",  None,            "302 404 200 200 200 200 200 200 200 200 200"),
    ("admin:index",              "get",  None,            "302 302 302 302 200 302 302 302 302 302 302"),
]
MATRIX += [row for extension in EXTENSIONS for row in extension.ROWS]


def _roster_import(village, user, tmp_path) -> RosterImport:
    """A previewed file with one good and one bad household."""
    rows = family("0001")
    rows += [{**row, "身份证号": "640104199001011000"} for row in family("0002", head="赵一", spouse="钱二", child="赵三")]
    path = write_xlsx(tmp_path / f"{village.code}.xlsx", header_for(rows), rows)
    return roster_import_preview(village=village, content=path.read_bytes(), filename=path.name, user=user, income_year=2025)


def _screening_flag(household, campaign) -> ScreeningFlag:
    """A flag with a decision and its attachment."""
    now = timezone.now()
    flag = ScreeningFlag.objects.create(
        campaign=campaign, household=household, rule="dangerous_house", facts={"grade": "D"},
        first_seen_at=now, last_seen_at=now, due_date=date(2026, 12, 20),
    )
    decision = ScreeningDecision(flag=flag, outcome="not_include", reason="经核实已改造")
    decision.attachment.save("核实.pdf", ContentFile(b"%PDF-1.4"), save=True)
    return flag


def _checklist(world, tmp_path) -> dict:
    """The tiny library (plus a second village requirement holding the files) in both counties.

    The rows the POSTs go to are left missing, so every refusal after the permission
    check is a message (302) and nothing in the matrix changes a row's state.
    """
    library = copy.deepcopy(TINY)
    library["areas"][0]["items"][0]["requirements"].append({"code": "4", "text": "村级台账。", "levels": ["village"]})
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(library, ensure_ascii=False), encoding="utf-8")
    campaign_use(world.campaign, "tiny", path)
    campaign_use(world.other_campaign, "tiny", path)
    other_village = world.other_county.townships.get().villages.get()
    meetings = ChecklistRow.objects.filter(requirement__text="领导小组会议记录。")
    ledgers = ChecklistRow.objects.filter(requirement__text="村级台账。")
    rows = {
        "R_V1": meetings.get(village=world.villages[0]), "R_V3": meetings.get(village=world.villages[2]),
        "R_T1": meetings.get(township=world.townships[0]), "R_D1": ChecklistRow.objects.get(department=world.departments[0]),
        "R_C": ChecklistRow.objects.get(county=world.county), "R_B": meetings.get(village=other_village),
    }

    def evidence(village, user) -> EvidenceFile:
        row = ledgers.get(village=village)
        return evidence_submit(row=row, files=[upload("台账.pdf", PDF)], note="", evidence_date=EVIDENCE_DATE, user=user)[0]

    files = {
        "E_V1": evidence(world.villages[0], world.users["village_cadre"]),
        "E_V3": evidence(world.villages[2], world.users["coordinator"]),
        "E_B": evidence(other_village, world.users["other_coordinator"]),
    }
    return {**rows, **files}


def _objects(world, tmp_path) -> dict:
    """Every object a URL in the matrix names, by a unique key."""
    other_township = world.other_county.townships.get()
    job = lambda user, county: Job.objects.create(  # noqa: E731
        county=county, kind="org_check", title="自检", created_by=user, status=JobStatus.SUCCEEDED
    )
    jobs = {
        "J_coordinator": job(world.users["coordinator"], world.county),
        "J_cadre": job(world.users["village_cadre"], world.county),
        "J_other": job(world.users["other_coordinator"], world.other_county),
    }
    for record in jobs.values():
        record.result_file.save("报告.xlsx", ContentFile(b"x"), save=True)
        record.result_name = "报告.xlsx"
        record.save()
    households = {
        "H1": make_household(world.villages[0], number="0001", seq=1),
        "H3": make_household(world.villages[2], number="0003", seq=3),
        "HB": make_household(world.other_county.townships.get().villages.get(), number="0009", seq=9),
    }
    heads = {f"P{key[1:]}": household.members.get(relation="户主") for key, household in households.items()}
    imports = {
        "I1": _roster_import(world.villages[0], world.users["village_cadre"], tmp_path),
        "IB": _roster_import(world.other_county.townships.get().villages.get(), world.users["other_coordinator"], tmp_path),
    }
    org = {
        "T1": world.townships[0], "T2": world.townships[1], "TB": other_township,
        "V1": world.villages[0], "V2": world.villages[1], "V3": world.villages[2],
        "VB": other_township.villages.get(),
        "D1": world.departments[0], "D2": world.departments[1],
        "DB": world.other_county.departments.get(),
        "M1": world.campaign.milestones.get(), "MB": world.other_campaign.milestones.get(),
    }
    flags = {
        "F1": _screening_flag(households["H1"], world.campaign),
        "F3": _screening_flag(households["H3"], world.campaign),
        "FB": _screening_flag(households["HB"], world.other_campaign),
    }
    checklist = _checklist(world, tmp_path)
    extensions = tuple(extension.objects(world, tmp_path) for extension in EXTENSIONS)
    groups = (org, jobs, households, heads, imports, flags, checklist, *extensions)
    keys = [key for group in groups for key in group]
    assert len(keys) == len(set(keys)), "two objects share a key"
    return {key: obj for group in groups for key, obj in group.items()}


@pytest.mark.django_db
def test_it_gives_every_role_the_expected_status(world, tmp_path):
    objects = _objects(world, tmp_path)
    clients = {"anonymous": Client()}
    for name in COLUMNS[1:]:
        clients[name] = Client()
        assert clients[name].login(username=name, password=PASSWORD)
    failures = []
    for url_name, method, key, expected in MATRIX:
        args = _args(objects, key)
        url = reverse(url_name, args=args)
        for column, status in zip(COLUMNS, expected.split(), strict=True):
            response = getattr(clients[column], method)(url)
            if response.status_code != int(status):
                failures.append(f"{column:17} {method.upper():4} {url:40} {response.status_code} (expected {status})")
            if url_name == "logout":
                clients[column].login(username=column, password=PASSWORD)
    assert not failures, "\n".join(failures)


def _args(objects: dict, key: str | None) -> list:
    """"H1/P1/id_number" → the household's pk, the member's pk, and the field name."""
    if key is None:
        return []
    return [objects[part].pk if part in objects else part for part in key.split("/")]


def _url_names(resolver: URLResolver, namespace: str = "") -> set[str]:
    names = set()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            if pattern.namespace == "admin":
                continue
            names |= _url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_it_covers_every_url():
    covered = {row[0] for row in MATRIX}
    missing = _url_names(get_resolver()) - covered
    assert not missing, f"URLs without a row in the permission matrix: {sorted(missing)}"
