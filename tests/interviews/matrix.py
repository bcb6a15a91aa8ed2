"""Permission-matrix rows and objects for interviews (#8); tests/test_permissions.py joins them."""

from evalprep.core.models import Role
from interviews.models import Question, Respondent
from interviews.services import outline_load, respondents_assign, sample_draw
from tests.factories import make_user

# Same columns and format as tests/test_permissions.MATRIX.
#   url name                             method  object key        anon no  co  le  ad  ds  dh  ts  th  su  vc
ROWS = [
    ("interviews:landing",               "get",  None,             "302 404 200 200 200 200 200 200 200 200 200"),
    ("interviews:outlines_load",         "post", None,             "302 404 302 403 302 403 403 403 403 403 403"),
    ("interviews:respondents_assign",    "post", None,             "302 404 302 403 302 403 403 403 403 403 403"),
    ("interviews:outline",               "get",  "IV_OV",          "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:outline",               "get",  "IV_OE",          "302 404 200 200 200 200 200 404 404 404 404"),
    ("interviews:outline",               "get",  "IV_OB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:respondent_add",        "post", "IV_OV",          "302 404 302 403 302 404 404 403 403 403 403"),
    ("interviews:respondent_add",        "post", "IV_OB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:question_new",          "get",  "IV_OV",          "302 404 200 403 200 404 404 403 403 403 403"),
    ("interviews:question_new",          "post", "IV_OV",          "302 404 200 403 200 404 404 403 403 403 403"),
    ("interviews:question_new",          "get",  "IV_OB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:question_edit",         "get",  "IV_QV",          "302 404 200 403 200 404 404 403 403 403 403"),
    ("interviews:question_edit",         "get",  "IV_QB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheets",                "get",  None,             "302 404 200 200 200 200 200 200 200 200 200"),
    ("interviews:sheet",                 "get",  "IV_S1",          "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:sheet",                 "get",  "IV_S3",          "302 404 200 200 200 404 404 404 404 404 404"),
    ("interviews:sheet",                 "get",  "IV_SD",          "302 404 200 200 200 200 200 404 404 404 404"),
    ("interviews:sheet",                 "get",  "IV_SL",          "302 404 200 200 200 404 404 404 404 404 404"),
    ("interviews:sheet",                 "get",  "IV_SB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:answer_save",           "post", "IV_S1/IV_QV",    "302 404 403 403 403 404 404 403 403 403 302"),
    ("interviews:answer_save",           "post", "IV_SD/IV_QE",    "302 404 403 403 403 302 302 404 404 404 404"),
    ("interviews:answer_save",           "post", "IV_SL/IV_QL",    "302 404 302 302 302 404 404 404 404 404 404"),
    ("interviews:answer_save",           "post", "IV_S1/IV_QE",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:answer_save",           "post", "IV_SB/IV_QB",    "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheet_submit",          "post", "IV_S1",          "302 404 403 403 403 404 404 403 403 403 302"),
    ("interviews:sheet_submit",          "post", "IV_SB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheet_approve",         "post", "IV_S1",          "302 404 403 403 403 404 404 403 302 403 403"),
    ("interviews:sheet_approve",         "post", "IV_SD",          "302 404 403 403 403 403 302 404 404 404 404"),
    ("interviews:sheet_approve",         "post", "IV_SL",          "302 404 302 403 302 404 404 404 404 404 404"),
    ("interviews:sheet_approve",         "post", "IV_SB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheet_return",          "post", "IV_S1",          "302 404 403 403 403 404 404 403 302 403 403"),
    ("interviews:sheet_return",          "post", "IV_SD",          "302 404 403 403 403 403 302 404 404 404 404"),
    ("interviews:sheet_return",          "post", "IV_SB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheet_cards",           "get",  "IV_S1",          "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:sheet_cards",           "get",  "IV_SB",          "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sheet_drill",           "get",  "IV_S1",          "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:sheet_drill",           "get",  "IV_S3",          "302 404 200 200 200 404 404 404 404 404 404"),
    ("interviews:rehearsal",             "get",  None,             "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:rehearsal_village",     "get",  "V1",             "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:rehearsal_village",     "get",  "V3",             "302 404 200 200 200 404 404 404 404 404 404"),
    ("interviews:rehearsal_village",     "get",  "VB",             "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:visit_new",             "get",  "H1",             "302 404 200 403 200 404 404 200 200 403 200"),
    ("interviews:visit_new",             "post", "H1",             "302 404 200 403 200 404 404 200 200 403 200"),
    ("interviews:visit_new",             "get",  "H3",             "302 404 200 403 200 404 404 404 404 404 404"),
    ("interviews:visit_new",             "get",  "HB",             "302 404 404 404 404 404 404 404 404 404 404"),
    ("interviews:sample",                "get",  None,             "302 404 200 200 200 404 404 200 200 200 200"),
    ("interviews:sample_draw",           "post", None,             "302 404 302 403 302 403 403 403 403 403 403"),
    ("interviews:sample_draw",           "get",  None,             "302 405 405 405 405 405 405 405 405 405 405"),
    ("interviews:sample_cards",          "post", None,             "302 404 302 302 302 404 404 302 302 302 302"),
]


def objects(world, tmp_path) -> dict:
    """The objects these rows name, by keys unique across the whole matrix.

    Outlines are loaded into both counties' campaigns and given to the roles; a
    secretary in V3 (township T2) gives a sheet nobody in T1 may see."""
    make_user("iv_v3_secretary", role=Role.VILLAGE_CADRE, county=world.county, village=world.villages[2], post="secretary")
    make_user("iv_b_secretary", role=Role.VILLAGE_CADRE, county=world.other_county,
              village=world.other_county.townships.get().villages.get(), post="secretary")
    for campaign in (world.campaign, world.other_campaign):
        outline_load(campaign=campaign)
        respondents_assign(campaign=campaign)
    sample_draw(campaign=world.campaign, seed=1, size=2)
    sheets = Respondent.objects.select_related("outline", "user")
    sheet = lambda code, username: sheets.get(outline__code=code, user__username=username)  # noqa: E731
    question = lambda campaign, code: Question.objects.get(  # noqa: E731
        outline__campaign=campaign, outline__code=code, number=1)
    return {
        "IV_OV": world.campaign.outlines.get(code="village"),
        "IV_OE": world.campaign.outlines.get(code="education"),
        "IV_OB": world.other_campaign.outlines.get(code="village"),
        "IV_QV": question(world.campaign, "village"),
        "IV_QE": question(world.campaign, "education"),
        "IV_QL": question(world.campaign, "county-leaders"),
        "IV_QB": question(world.other_campaign, "village"),
        "IV_S1": sheet("village", "village_cadre"),
        "IV_S3": sheet("village", "iv_v3_secretary"),
        "IV_SD": sheet("education", "department_head"),
        "IV_SL": sheet("county-leaders", "leader"),
        "IV_SB": sheet("village", "iv_b_secretary"),
    }
