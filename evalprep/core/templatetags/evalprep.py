"""Dates and counts the way people here write them."""

from datetime import date, datetime

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def date_zh(value: date | datetime | None) -> str:
    """2022年12月20日 (with the time for datetimes, in Asia/Shanghai)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
        return f"{value.year}年{value.month}月{value.day}日 {value:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def days_left_zh(days: int) -> str:
    if days == 0:
        return "今天到期"
    if days < 0:
        return f"已逾期{-days}天"
    return f"还剩{days}天"
