import copy
from typing import ClassVar

from django import forms
from django.forms import BoundField
from django.forms.utils import flatatt
from django.forms.widgets import Input
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from evalprep.core.models import Village, VillageGroup
from households.models import (
    Category,
    DecisionOutcome,
    Household,
    MonitoringStep,
    MonitoringType,
    ScreeningRule,
    ScreeningThresholds,
)
from households.national_forms import VillageFilterField, village_choices
from households.screening import FLAG_STATUSES
from households.selectors import FLAGS

MAX_ROSTER_BYTES = 20 * 1024 * 1024
ROSTER_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")


class BootstrapFieldsMixin:
    """Writes the form the way crispy-forms' Bootstrap 5 pack does (same markup and classes), in
    Python: crispy renders half a dozen templates per field and Django one more per select option,
    which on these pages cost more than the rest of the page."""

    def as_bootstrap(self) -> SafeString:
        errors = self.non_field_errors()
        alert = format_html('<div class="alert alert-block alert-danger"><ul class="m-0">{}</ul></div>',
                            format_html_join("", "<li>{}</li>", ((e,) for e in errors))) if errors else ""
        return mark_safe(alert + "".join(self.bootstrap_fields()))

    def bootstrap_fields(self) -> list[SafeString]:
        return [bootstrap_field(field) for field in self]


def bootstrap_field(field: BoundField) -> SafeString:
    """One field, label, control, errors and help, as crispy-forms' bootstrap5/field.html writes it."""
    widget = field.field.widget
    if field.is_hidden:
        return _control(field, None)
    invalid = " is-invalid" if field.errors else ""
    checkbox = isinstance(widget, forms.CheckboxInput)
    if isinstance(widget, forms.Select) and not widget.allow_multiple_selected:
        css = f"{type(widget).__name__.lower()} form-select{invalid}"
    elif checkbox:
        css = f"checkboxinput form-check-input{invalid}"
    else:
        css = f"{type(widget).__name__.lower()} form-control{invalid}"
    control = _control(field, css)
    required = field.field.required
    label = format_html('{}{}', field.label, mark_safe('<span class="asteriskField">*</span>') if required else "")
    label_class = " requiredField" if required else ""
    after = format_html_join("", '<p id="error_{}_{}"><strong>{}</strong></p>',
                             ((n, field.auto_id, e) for n, e in enumerate(field.errors, 1)))
    after = format_html('<div id="{}_error" class="invalid-feedback">{}</div>', field.auto_id, after) if field.errors else ""
    if field.help_text:
        after += format_html('<div id="{}_helptext" class="form-text">{}</div>', field.auto_id, mark_safe(field.help_text))
    if checkbox:
        return format_html(
            '<div class="mb-3"><div id="div_{}" class="form-check">{}<label for="{}" class="form-check-label{}">{}</label>{}</div></div>',
            field.auto_id, control, field.id_for_label, label_class, label, after,
        )
    return format_html('<div id="div_{}" class="mb-3"><label for="{}" class="form-label{}">{}</label>{}{}</div>',
                       field.auto_id, field.id_for_label, label_class, label, control, after)


def _control(field: BoundField, css: str | None) -> SafeString:
    """The widget's HTML as Django's own widget templates write it, for plain inputs and selects."""
    widget = field.field.widget
    select = isinstance(widget, forms.Select) and not widget.allow_multiple_selected
    if select:  # the options once: Django reads a model choice field's again for the required attribute
        widget = copy.copy(widget)
        widget.choices = _options(field.field)
    attrs = field.build_widget_attrs({**widget.attrs, **({"class": css} if css else {})}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    if select:
        value = widget.format_value(field.value())
        chosen = {value} if isinstance(value, str) else set(value)
        options = format_html_join("", '<option value="{}"{}>{}</option>', (
            (option, " selected" if str(option) in chosen else "", label) for option, label in widget.choices
        ))
        return format_html('<select name="{}"{}>{}</select>', field.html_name, flatatt(attrs), options)
    if isinstance(widget, Input) and not isinstance(widget, forms.ClearableFileInput):
        context = widget.get_context(field.html_name, field.value(), attrs)["widget"]
        value = context["value"]
        return format_html('<input type="{}" name="{}"{}{}>', context["type"], field.html_name,
                           "" if value is None else format_html(' value="{}"', value), flatatt(context["attrs"]))
    return field.as_widget(attrs={"class": css} if css else None)


def _options(field: forms.Field) -> list[tuple]:
    """A select's options; a model choice field's in one plain query (its own iterator opens a
    server-side cursor on PostgreSQL)."""
    if not isinstance(field, forms.ModelChoiceField):
        return list(field.widget.choices)
    empty = [("", field.empty_label)] if field.empty_label is not None else []
    return empty + [(obj.pk, field.label_from_instance(obj)) for obj in field.queryset]


class RosterFilterForm(forms.Form):
    village = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="行政村")
    group = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="村民小组")
    category = forms.ChoiceField(choices=[("", "全部户类型"), *Category.choices], required=False, label="户类型")
    monitoring_type = forms.ChoiceField(choices=[("", "全部监测类别"), *MonitoringType.choices], required=False, label="监测类别")
    flag = forms.ChoiceField(choices=[("", "全部情况"), *((key, label) for key, (label, _) in FLAGS.items())], required=False, label="情况")
    q = forms.CharField(required=False, label="姓名或身份证号后几位", max_length=30)

    def __init__(self, *args, villages: list[tuple[int, str, str]], **kwargs) -> None:
        """`villages` are the user's, (pk, name, township name) in roster order."""
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = [("", "全部行政村"), *((pk, name) for pk, name, _ in villages)]
        names = {pk: name for pk, name, _ in villages}
        # Groups of the chosen village only (or of the one village a cadre sees): a county
        # has about a thousand, too many for one list.
        group_villages, group_empty_label = list(names), "全部小组"
        # A link with a group and no village is validated against every group the user sees.
        chosen = self.data.get("village") if self.is_bound else None
        if chosen:
            group_villages = [int(chosen)] if str(chosen).isdigit() and int(chosen) in names else []
        elif not (self.is_bound and self.data.get("group")) and len(villages) > 1:
            group_villages, group_empty_label = [], "请先选择行政村"
        groups = VillageGroup.objects.filter(village_id__in=group_villages).order_by("village__code", "number")
        shown = groups.values_list("pk", "village_id", "name") if group_villages else []
        self.fields["group"].choices = [("", group_empty_label), *((pk, f"{names[vid]}{name}") for pk, vid, name in shown)]


class RosterImportForm(BootstrapFieldsMixin, forms.Form):
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


class MonitoringStepForm(BootstrapFieldsMixin, forms.Form):
    step = forms.ChoiceField(choices=MonitoringStep.choices, label="环节")
    on = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    by_name = forms.CharField(label="经办人", max_length=30)
    note = forms.CharField(label="说明（公示情况、审核意见等）", max_length=300, required=False)


# Screening (应纳未纳筛查): filters, decisions, thresholds and the village income worksheet.


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_EXTENSIONS = (".pdf", ".jpg", ".jpeg", ".png", ".doc", ".docx", ".xls", ".xlsx", ".wps", ".et")


class ScreeningFilterForm(forms.Form):
    village = VillageFilterField()
    rule = forms.ChoiceField(choices=[("", "全部规则"), *ScreeningRule.choices], required=False, label="筛查规则")
    status = forms.ChoiceField(choices=list(FLAG_STATUSES.items()), required=False, label="状态")

    def __init__(self, *args, villages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["village"].choices = village_choices(villages)


class ScreeningDecisionForm(forms.Form):
    outcome = forms.ChoiceField(choices=DecisionOutcome.choices, label="决定", widget=forms.RadioSelect)
    reason = forms.CharField(
        label="理由或整改情况", max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text="不纳入或已整改时必填，例如“经入户核实，该户务工收入未计入，实际人均纯收入 9,200 元”。",
    )
    attachment = forms.FileField(label="附件（可选）", required=False, help_text="入户核实表、照片、票据等；PDF、图片、Word、Excel，最大 10 MB。")

    def clean_attachment(self):
        upload = self.cleaned_data.get("attachment")
        if upload is None:
            return None
        if not upload.name.lower().endswith(ATTACHMENT_EXTENSIONS):
            raise forms.ValidationError("附件只能是 PDF、图片（jpg、png）、Word 或 Excel 文件。")
        if upload.size > MAX_ATTACHMENT_BYTES:
            raise forms.ValidationError("附件超过 10 MB，请压缩图片或拆分后再上传。")
        return upload

    def clean(self):
        data = super().clean()
        if data.get("outcome") and data["outcome"] != DecisionOutcome.INCLUDE and not data.get("reason", "").strip():
            self.add_error("reason", "请写明不纳入的理由或整改情况。")
        return data


class ScreeningThresholdsForm(forms.ModelForm):
    class Meta:
        model = ScreeningThresholds
        fields = [
            "income_drop_share", "lifted_growth_min", "medical_out_of_pocket",
            "rural_disposable_income_last_year", "decision_days",
        ]


class IncomeEstimateForm(forms.Form):
    year = forms.IntegerField(label="收入年度", min_value=2015, max_value=2100)
    note = forms.CharField(label="说明（数据来源、测算口径）", max_length=500, required=False)


def _amount_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(label=label, min_value=0, max_digits=14, decimal_places=2)


class IncomeLineForm(forms.Form):
    """One line of the worksheet; subclasses add the figures of their kind."""

    kind: ClassVar[str] = ""
    name = forms.CharField(label="项目", max_length=50)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name, form_field in self.fields.items():
            if name != "DELETE":
                form_field.widget.attrs["class"] = "form-control form-control-sm"

    def line(self) -> dict:
        data = self.cleaned_data
        return {"kind": self.kind, "name": data["name"].strip(), **{
            name: str(data[name]) for name in self.fields if name not in ("name", "DELETE")
        }}


class CropLineForm(IncomeLineForm):
    kind = "crop"
    area = _amount_field("面积（亩）")
    yield_per_mu = _amount_field("单产（公斤/亩）")
    price = _amount_field("单价（元/公斤）")
    cost = _amount_field("成本（元）")


class LivestockLineForm(IncomeLineForm):
    kind = "livestock"
    head_sold = _amount_field("出栏（头/只）")
    margin = _amount_field("每头（只）纯收益（元）")


class WageLineForm(IncomeLineForm):
    kind = "wage"
    people = _amount_field("务工人数")
    average_earnings = _amount_field("人均务工收入（元）")


class TransferLineForm(IncomeLineForm):
    kind = "transfer"
    amount = _amount_field("金额（元）")


class OtherLineForm(IncomeLineForm):
    kind = "other"
    amount = _amount_field("金额（元）")


INCOME_LINE_FORMS = {form.kind: form for form in (CropLineForm, LivestockLineForm, WageLineForm, TransferLineForm, OtherLineForm)}


def income_line_formsets(data=None, *, lines: list[dict]) -> dict[str, forms.BaseFormSet]:
    """One formset per kind of income, filled with the saved lines and two blank rows."""
    formsets = {}
    for kind, form_class in INCOME_LINE_FORMS.items():
        formset_class = forms.formset_factory(form_class, extra=2, can_delete=True)
        initial = [{k: v for k, v in line.items() if k != "kind"} for line in lines if line.get("kind") == kind]
        formsets[kind] = formset_class(data, initial=initial, prefix=kind)
    return formsets


def income_lines_from(formsets: dict[str, forms.BaseFormSet]) -> list[dict]:
    return [
        form.line()
        for formset in formsets.values()
        for form in formset.forms
        if form.has_changed() and form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class HouseholdForm(BootstrapFieldsMixin, forms.ModelForm):
    """What a cadre corrects in the browser; category and monitoring go through their workflow."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Household
        fields = [
            "group", "address", "phone", "helper_name", "helper_phone",
            "housing_grade", "housing_renovated_year",
            "water_source", "water_safe", "water_quality_report", "water_seasonal_shortage",
            "minimum_living", "minimum_living_amount", "destitute_support", "destitute_support_amount",
            "no_labour_household",
        ]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        groups = VillageGroup.objects.filter(village_id=self.instance.village_id).select_related("village")
        self.fields["group"].queryset = groups.order_by("number")
        if not self.is_bound:
            self.initial["version"] = self.instance.version
