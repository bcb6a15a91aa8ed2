"""Printable rehearsal cards (PDF, CJK font embedded by WeasyPrint).

- question-and-answer cards, one section per respondent: each question with
  the prepared answer and the registry's figures beside it;
- household cards for the mock sample: what the registry holds about each
  drawn household, the facts its answers at the door should match.
"""

from collections.abc import Callable

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils import timezone

from evalprep.dossiers.builders.base import pdf_from_html
from households.models import Household, IncomeYear, Measure, Risk
from interviews.models import Respondent
from interviews.questionnaire import questionnaire_title
from interviews.selectors import respondent_label, sheets_checked

CJK_FONT = "WenQuanYi Zen Hei"


def respondent_cards_pdf(respondents: list[Respondent]) -> bytes:
    """One section per respondent, one card per question."""
    checked = sheets_checked(respondents)
    sections = [
        {"respondent": r, "label": respondent_label(r), "rows": checked[r.pk]} for r in respondents
    ]
    html = render_to_string("interviews/cards_pdf.html", {
        "sections": sections, "font": CJK_FONT, "printed_at": timezone.localdate(),
    })
    return pdf_from_html(html)


def household_cards_pdf(household_ids: list[int], *, title: str, progress: Callable[[int, str], None] | None = None) -> bytes:
    """One card per household, in the order given, with the registry's answers to the questionnaire's subjects."""
    loaded = {
        h.pk: h for h in Household.objects.filter(pk__in=household_ids).select_related("village__township", "relocation_site")
        .prefetch_related(
            Prefetch("incomes", queryset=IncomeYear.objects.order_by("-year")),
            Prefetch("measures", queryset=Measure.objects.order_by("kind")),
            Prefetch("risks", queryset=Risk.objects.order_by("kind")),
        )
    }
    for household in loaded.values():
        household.questionnaire = questionnaire_title(household.category)
        household.income = next(iter(household.incomes.all()), None)
    cards = [loaded[pk] for pk in household_ids if pk in loaded]
    if progress:
        progress(30, f"已整理{len(cards)}户，正在排版")
    html = render_to_string("interviews/household_cards_pdf.html", {
        "cards": cards, "title": title, "font": CJK_FONT, "printed_at": timezone.localdate(),
    })
    content = pdf_from_html(html)
    if progress:
        progress(95, "排版完成")
    return content
