"""Dates and counts the way people here write them."""

from datetime import date, datetime

from django import template
from django.utils import timezone

from evalprep.core import idnumber
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
