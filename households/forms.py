from django import forms
from django.utils import timezone

from evalprep.core.models import Village, VillageGroup
from households.models import Category, MonitoringStep, MonitoringType
from households.selectors import FLAGS

MAX_ROSTER_BYTES = 20 * 1024 * 1024
ROSTER_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")


class RosterFilterForm(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none(), required=False, label="行政村", empty_label="全部行政村")
    group = forms.ModelChoiceField(queryset=VillageGroup.objects.none(), required=False, label="村民小组", empty_label="全部小组")
    category = forms.ChoiceField(choices=[("", "全部户类型"), *Category.choices], required=False, label="户类型")
    monitoring_type = forms.ChoiceField(choices=[("", "全部监测类别"), *MonitoringType.choices], required=False, label="监测类别")
    flag = forms.ChoiceField(choices=[("", "全部情况"), *((key, label) for key, (label, _) in FLAGS.items())], required=False, label="情况")
    q = forms.CharField(required=False, label="姓名或身份证号后几位", max_length=30)

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["group"].queryset = VillageGroup.objects.filter(village__in=villages).select_related("village").order_by("village__code", "number")


class RosterImportForm(forms.Form):
    village = forms.ModelChoiceField(queryset=Village.objects.none(), label="导入到哪个村", empty_label=None)
    file = forms.FileField(label="花名册文件", help_text="支持 .xlsx、.xls、.ods，最大 20 MB。身份证号列请设为“文本”格式。")
    income_year = forms.IntegerField(label="收入年度", min_value=2015, max_value=2100, help_text="表中没有“收入年度”列时，收入记入此年度。")

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        self.fields["income_year"].initial = timezone.localdate().year

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith(ROSTER_EXTENSIONS):
            raise forms.ValidationError("只能上传 Excel 或 WPS 表格（.xlsx、.xls、.ods）。如是 .csv 或 .et，请另存为 .xlsx 再上传。")
        if upload.size > MAX_ROSTER_BYTES:
            raise forms.ValidationError("文件超过 20 MB。请删除无关的工作表和图片后再上传，或按村民小组拆分。")
        return upload


class MonitoringStepForm(forms.Form):
    step = forms.ChoiceField(choices=MonitoringStep.choices, label="环节")
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}))
    by_name = forms.CharField(label="经办人", max_length=30)
    note = forms.CharField(label="说明（公示情况、审核意见等）", max_length=300, required=False)
