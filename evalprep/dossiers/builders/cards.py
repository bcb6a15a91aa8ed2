"""Household information cards (明白卡): one A4 page per household of a village."""

from django.template.loader import render_to_string

from evalprep.dossiers.builders.base import PDF, Builder, DossierContext, pdf_from_html
from evalprep.dossiers.builders.sections import household_cards


class HouseholdCards(Builder):
    identifier = "household_cards"
    title = "户明白卡"
    scope = "village"
    formats = ("pdf",)

    def render(self, ctx: DossierContext, fmt: str, progress=lambda p, m: None) -> tuple[str, str, bytes]:
        self.check_format(fmt)
        progress(10, "正在整理各户信息")
        cards = household_cards(ctx.unit)
        progress(40, f"正在排版{len(cards)}户明白卡")
        html = render_to_string("dossiers/pdf/cards.html", {"ctx": ctx, "cards": cards})
        return self.filename(ctx, "pdf"), PDF, pdf_from_html(html)
