from django import forms
from django.utils import timezone

from evalprep.core.models import Township, Village
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


class HitFilterForm(forms.Form):
    source = forms.ChoiceField(choices=SnapshotSource.choices, required=False, label="数据来源")
    village = forms.ModelChoiceField(queryset=Village.objects.none(), required=False, label="行政村", empty_label="全部行政村")
    rule = forms.ChoiceField(choices=[("", "全部规则"), *((r.code, f"{r.code} {r.title}") for r in RULES)], required=False, label="规则")
    status = forms.ChoiceField(
        choices=[("open", "待处理"), ("fixed", "已整改待核验"), ("exempt", "豁免"), ("gone", "已消失（核销）"), ("all", "全部")],
        required=False, label="状态",
    )

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class HitMarkForm(forms.Form):
    status = forms.ChoiceField(choices=HitStatus.choices, label="处理")
    reason = forms.CharField(required=False, max_length=500, label="整改情况或豁免理由")


class DiscrepancyFilterForm(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none(), required=False, label="行政村", empty_label="全部行政村")
    kind = forms.ChoiceField(choices=[("", "全部类型"), *DiscrepancyKind.choices], required=False, label="类型")
    status = forms.ChoiceField(
        choices=[("open", "未处理"), ("resolved", "已处理待消失"), ("gone", "已消失"), ("all", "全部")], required=False, label="状态"
    )

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages


class DiscrepancyResolveForm(forms.Form):
    resolution = forms.ChoiceField(choices=[c for c in Resolution.choices if c[0]], label="处理结果")
    note = forms.CharField(required=False, max_length=500, label="处理说明")


class NationalCheckSettingsForm(forms.ModelForm):
    class Meta:
        model = NationalCheckSettings
        exclude = ["campaign"]
