"""Chapters read from the interviews module (interviews/): the prepared
answers of a unit's interview sheets (访谈提纲答卷) with their status, who
signed them off, and the consistency flags the module computes between
respondents and against the registry.

The same data as the module's own printable cards (`sheets_checked`,
`respondent_label`), in the dossier's style. A fixed number of queries: the
sheets, then the module's bounded checks over all of them at once.
"""

from django.db.models import Q
from django.utils import timezone

from evalprep.core.excel import SheetSpec
from evalprep.dossiers.builders.base import DossierContext, Section, section
from evalprep.dossiers.builders.sections import _date
from interviews.models import Respondent, RespondentKind, SheetStatus
from interviews.selectors import respondent_label, sheets_checked


def _sheet(respondent: Respondent, rows) -> dict:
    questions = []
    for row in rows:
        text = row.answer.text.strip() if row.answer else ""
        questions.append({
            "number": row.question.number, "question": row.question.text, "answer": text,
            "flags": [flag.message for flag in row.peer] + [flag.message for flag in row.data],
            "notes": list(row.notes),
        })
    reviewed = ""
    if respondent.reviewed_by_id and respondent.status in (SheetStatus.APPROVED, SheetStatus.RETURNED):
        who = respondent.reviewed_by.get_full_name() or respondent.reviewed_by.username
        when = _date(timezone.localdate(respondent.reviewed_at)) if respondent.reviewed_at else ""
        reviewed = f"{who} {when}".strip()
    return {
        "outline": respondent.outline.title, "respondent": respondent_label(respondent),
        "unit": respondent.unit_name, "status": respondent.get_status_display(),
        "approved": respondent.status == SheetStatus.APPROVED, "reviewed": reviewed,
        "return_reason": respondent.return_reason if respondent.status == SheetStatus.RETURNED else "",
        "submitted": _date(timezone.localdate(respondent.submitted_at)) if respondent.submitted_at else "",
        "questions": questions, "answered": sum(1 for q in questions if q["answer"]),
        "flag_count": sum(len(q["flags"]) for q in questions),
    }


class _Interviews(Section):
    template = "dossiers/pdf/sections/interviews.html"
    #: sheet names in the workbook (unique per builder)
    summary_sheet = "访谈答卷"
    answers_sheet = "访谈问答"

    def respondents(self, ctx: DossierContext) -> Q:
        raise NotImplementedError

    def collect(self, ctx: DossierContext):
        if ctx.campaign is None:
            return None
        respondents = list(
            Respondent.objects.filter(self.respondents(ctx), outline__campaign=ctx.campaign)
            .select_related("outline__campaign__county", "user", "reviewed_by", "department", "village",
                            "relocation_site__village")
            .order_by("outline__order", "relocation_site__name", "pk")
        )
        if not respondents:
            return None  # no outline given to this unit
        checked = sheets_checked(respondents)
        sheets = [_sheet(r, checked[r.pk]) for r in respondents]
        return {
            "sheets": sheets, "approved": sum(1 for s in sheets if s["approved"]),
            "flags": sum(s["flag_count"] for s in sheets),
        }

    def sheets(self, data):
        summary = [[s["outline"], s["respondent"], s["unit"], s["status"], f"{s['answered']}/{len(s['questions'])}",
                    s["flag_count"], s["submitted"], s["reviewed"], s["return_reason"]] for s in data["sheets"]]
        answers = [
            [s["outline"], s["respondent"], q["number"], q["question"], q["answer"], "；".join(q["flags"]), "；".join(q["notes"])]
            for s in data["sheets"] for q in s["questions"]
        ]
        return [
            SheetSpec(self.summary_sheet, ["访谈提纲", "答题人", "单位", "状态", "已答/题数", "不一致处", "提交日期", "审核签字",
                                           "退回原因"], summary, widths=[26, 24, 18, 14, 10, 10, 16, 24, 30]),
            SheetSpec(self.answers_sheet, ["访谈提纲", "答题人", "题号", "问题", "回答", "一致性提示", "台账数据"], answers,
                      widths=[22, 20, 6, 50, 60, 40, 36]),
        ]


@section
class VillageInterviews(_Interviews):
    key = "village_interviews"
    title = "座谈访谈问答"

    def respondents(self, ctx):
        # The village outline's sheets, and those of a relocation site in the village.
        return Q(village=ctx.unit) | Q(relocation_site__village=ctx.unit)


@section
class DepartmentInterviews(_Interviews):
    key = "department_interviews"
    title = "座谈访谈问答与审核签字"

    def respondents(self, ctx):
        return Q(department=ctx.unit)


@section
class LeaderInterviewCards(_Interviews):
    """The county leaders' outline, printed as one card per question."""

    key = "leader_cards"
    title = "县级负责同志访谈问答卡"
    template = "dossiers/pdf/sections/leader_cards.html"
    summary_sheet = "领导访谈答卷"
    answers_sheet = "领导访谈问答卡"

    def respondents(self, ctx):
        return Q(outline__respondent_kind=RespondentKind.COUNTY_LEADER)
