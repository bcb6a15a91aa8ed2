"""Dates and counts the way people here write them, and list pages' filter fields."""

import html
from datetime import date, datetime

from django import forms, template
from django.forms import BoundField
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from evalprep.core import idnumber
from evalprep.core.http import url_for_each
from evalprep.core.sheets import format_date_zh

register = template.Library()


@register.filter
def date_zh(value: date | datetime | None) -> str:
    """2022年12月20日 (with the time for datetimes, in Asia/Shanghai)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
        return f"{format_date_zh(value.date())} {value:%H:%M}"
    return format_date_zh(value)


@register.filter
def days_left_zh(days: int) -> str:
    if days == 0:
        return "今天到期"
    if days < 0:
        return f"已逾期{-days}天"
    return f"还剩{days}天"


@register.filter
def mask_id(value: str) -> str:
    return idnumber.mask_id_number(value)


@register.filter
def mask_phone(value: str) -> str:
    return idnumber.mask_phone(value)


@register.simple_tag
def filter_field(field: BoundField) -> str:
    """One field of a list page's filter bar, label and control, with its error.

    Selects are written here rather than by Django's widget templates, which
    render a template per option: a county's village list is 200 of them on
    every page view.
    """
    widget = field.field.widget
    invalid = " is-invalid" if field.errors else ""
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        value = field.value()
        chosen = "" if value is None else str(getattr(value, "pk", value))
        # Escaped (html.escape, what Django's escape does without its lazy-string wrapper) and joined by
        # hand: format_html per option is most of the cost of 300 options.
        options = mark_safe("".join(
            f'<option value="{html.escape(str(option))}"{" selected" if str(option) == chosen else ""}>'
            f"{html.escape(str(label))}</option>"
            for option, label in _choices(field.field)
        ))
        control = format_html('<select name="{}" id="{}" class="form-select{}">{}</select>',
                              field.html_name, field.auto_id, invalid, options)
    else:
        control = field.as_widget(attrs={"class": f"form-control{invalid}"})
    errors = format_html_join("", '<div class="invalid-feedback d-block">{}</div>', ((error,) for error in field.errors))
    return format_html('<div class="mb-3"><label class="form-label" for="{}">{}</label>{}{}</div>',
                       field.auto_id, field.label, control, errors)


def _choices(field: forms.Field) -> list[tuple]:
    """The field's choices; a model choice field's in one plain query (its own iterator opens a
    server-side cursor on PostgreSQL: three round trips instead of one)."""
    if not isinstance(field, forms.ModelChoiceField):
        return list(field.choices)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    return empty + [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]


@register.simple_tag
def milestone_rows(milestones, can_manage=False) -> str:
    """The rows of a milestones table (core/_milestones.html), written in one pass: as a template loop they
    were a tenth of the home page. Every value is escaped."""
    if not milestones:
        return format_html('<tr><td colspan="4" class="text-muted">{}</td></tr>', gettext("暂无时间节点。"))
    today, edit = timezone.localdate(), html.escape(gettext("修改"))
    edit_url = url_for_each("core:milestone_edit") if can_manage else None
    rows = []
    for milestone in milestones:
        days = milestone.days_left(today)
        note = f'<div class="small text-muted">{html.escape(Truncator(milestone.note).chars(80))}</div>' if milestone.note else ""
        css = "overdue" if days < 0 else "due-soon" if days <= 7 else ""
        button = (f'<td class="text-end"><a class="btn btn-sm btn-outline-secondary" href="{edit_url(milestone.pk)}">{edit}</a></td>'
                  if edit_url else "")
        rows.append(
            f"<tr><td>{html.escape(milestone.name)}{note}</td><td class=\"text-nowrap\">{date_zh(milestone.due_date)}</td>"
            f'<td class="text-end text-nowrap {css}">{days_left_zh(days)}</td>{button}</tr>\n'
        )
    return mark_safe("".join(rows))
