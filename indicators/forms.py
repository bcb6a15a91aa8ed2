from django import forms
from django.utils import timezone

from evalprep.core.models import Campaign, DepartmentKind
from indicators.models import Item, Level, RowStatus, VillageFilter


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """One or more files from one `<input type="file" multiple>`."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ChecklistFilterForm(forms.Form):
    area = forms.ChoiceField(label="评估方面", required=False)
    item = forms.ChoiceField(label="评估指标", required=False)
    level = forms.ChoiceField(label="层级", required=False, choices=[("", "全部层级"), *Level.choices])
    unit = forms.ChoiceField(label="单位", required=False)
    status = forms.ChoiceField(label="状态", required=False, choices=[("", "全部状态"), *RowStatus.choices])

    def __init__(self, *args, areas, items, units, **kwargs):
        """areas as (pk, title), items as (pk, code, title), units as (value, label)."""
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", "全部方面"), *((str(pk), title) for pk, title in areas)]
        self.fields["item"].choices = [("", "全部指标"), *((str(pk), f"{code} {title}") for pk, code, title in items)]
        self.fields["unit"].choices = [("", "全部单位"), *units]


class EvidenceSubmitForm(forms.Form):
    files = MultipleFileField(label="文件（可多选）")
    note = forms.CharField(label="说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    evidence_date = forms.DateField(label="材料日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"evidence_date": timezone.localdate()})
        super().__init__(*args, **kwargs)


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 2}))


class LocalRequirementForm(forms.Form):
    item = forms.ModelChoiceField(label="评估指标", queryset=Item.objects.none())
    text = forms.CharField(label="检查内容", widget=forms.Textarea(attrs={"rows": 3}))
    level = forms.ChoiceField(label="资料保存层级", choices=Level.choices)
    departments = forms.MultipleChoiceField(
        label="责任部门", required=False, choices=DepartmentKind.choices, widget=forms.CheckboxSelectMultiple,
        help_text="部门保存的要求须选择；其他层级可选，表示负责该事项的行业部门。",
    )
    village_filter = forms.ChoiceField(label="适用行政村", required=False, choices=VillageFilter.choices)

    def __init__(self, *args, campaign: Campaign, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = (
            Item.objects.filter(area__framework__name=campaign.framework, is_active=True)
            .select_related("area").order_by("area__order", "order")
        )
