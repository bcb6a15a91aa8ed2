from django import forms
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from evalprep.core.models import Township
from households.models import DiscrepancyKind, HitStatus, NationalCheckSettings, Resolution, SnapshotSource
from households.national_checks import RULES

MAX_EXPORT_BYTES = 200 * 1024 * 1024
EXPORT_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class NationalUploadForm(forms.Form):
    files = MultipleFileField(
        label="国家系统导出文件",
        help_text="可一次选多个：人员信息表、户信息表、已外出务工信息、计划务工信息、行政村信息，任意几张均可；按表头自动识别，不看文件名。",
    )
    taken_on = forms.DateField(label="导出日期", help_text="从国家系统导出这些文件的日期，如 2026-11-20。")
    township = forms.ModelChoiceField(queryset=Township.objects.none(), required=False, label="范围", empty_label="全县")

    def __init__(self, *args, townships, county_wide: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["taken_on"].initial = timezone.localdate()
        self.fields["township"].queryset = townships
        if not county_wide:
            self.fields["township"].empty_label = None
            self.fields["township"].required = True

    def clean_files(self):
        files = self.cleaned_data["files"]
        for upload in files:
            if not upload.name.lower().endswith(EXPORT_EXTENSIONS):
                raise forms.ValidationError(f"「{upload.name}」不是 .xlsx、.xls 或 .ods 表格文件，请上传国家系统导出的原表。")
        if sum(upload.size for upload in files) > MAX_EXPORT_BYTES:
            raise forms.ValidationError("文件合计超过 200 MB，请分几次上传（每次一个乡镇）。")
        return files


class FixedChoices(BaseChoiceIterator):
    """Choices already in (value, label) form that nothing changes. A form deep-copies and
    re-normalizes a choice field's choices each time it is made: for a county's 200 villages and the
    90 rules, about a millisecond of every list page; these are passed on as they are."""

    def __init__(self, choices) -> None:
        self.choices = tuple(choices)

    def __iter__(self):
        return iter(self.choices)

    def __copy__(self) -> "FixedChoices":
        return self

    def __deepcopy__(self, memo) -> "FixedChoices":
        return self


class VillageFilterField(forms.TypedChoiceField):
    """A list page's village filter: a plain choice over (pk, name) pairs, cleaned to the pk or None (a
    model choice field would read the villages again, as model instances). Says what that field says."""

    def __init__(self) -> None:
        super().__init__(
            coerce=int, empty_value=None, required=False, label="行政村",
            error_messages={"invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]},
        )


def village_choices(villages) -> FixedChoices:
    """(pk, name) of the given villages in code order: the list pages read their villages once, as
    tuples (households.national_selectors.county_village_list), rather than a model instance each."""
    return FixedChoices([("", "全部行政村"), *((v.pk, v.name) for v in sorted(villages, key=lambda v: v.code))])


class HitFilterForm(forms.Form):
    source = forms.ChoiceField(choices=SnapshotSource.choices, required=False, label="数据来源")
    village = VillageFilterField()
    rule = forms.ChoiceField(
        choices=FixedChoices([("", "全部规则"), *((r.code, f"{r.code} {r.title}") for r in RULES)]), required=False, label="规则",
    )
    status = forms.ChoiceField(
        choices=[("open", "待处理"), ("fixed", "已整改待核验"), ("exempt", "豁免"), ("gone", "已消失（核销）"), ("all", "全部")],
        required=False, label="状态",
    )

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = village_choices(villages)


class HitMarkForm(forms.Form):
    status = forms.ChoiceField(choices=HitStatus.choices, label="处理")
    reason = forms.CharField(required=False, max_length=500, label="整改情况或豁免理由")


class DiscrepancyFilterForm(forms.Form):
    village = VillageFilterField()
    kind = forms.ChoiceField(choices=[("", "全部类型"), *DiscrepancyKind.choices], required=False, label="类型")
    status = forms.ChoiceField(
        choices=[("open", "未处理"), ("resolved", "已处理待消失"), ("gone", "已消失"), ("all", "全部")], required=False, label="状态"
    )

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = village_choices(villages)


class DiscrepancyResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=[c for c in Resolution.choices if c[0]], label="处理结果")
    note = forms.CharField(required=False, max_length=500, label="处理说明")


class NationalCheckSettingsForm(forms.ModelForm):
    class Meta:
        model = NationalCheckSettings
        exclude = ["campaign"]
