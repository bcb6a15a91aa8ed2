from html import escape

from django import forms
from django.utils.safestring import SafeString, mark_safe

from evalprep.core.models import Campaign, Department, Township, Village, VillageGroup
from indicators.forms import MultipleFileField
from tasks.models import AssignmentStatus, FindingSource, FindingStatus, Level, Section

DATE_WIDGET = {"widget": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class AssignForm(forms.Form):
    units = forms.MultipleChoiceField(label="分派给", widget=forms.CheckboxSelectMultiple)
    due_date = forms.DateField(label="截止日期", required=False, help_text="留空则按方案的倒排工期。", **DATE_WIDGET)
    note = forms.CharField(label="分派说明", required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, units: list, held: set[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {str(unit.pk): unit for unit in units}
        self.fields["units"].choices = [
            (str(unit.pk), f"{unit}{'（已分派）' if unit.pk in held else ''}") for unit in units
        ]

    def clean_units(self) -> list:
        return [self.units[pk] for pk in self.cleaned_data["units"]]


class FilesForm(forms.Form):
    files = MultipleFileField(label="文件（可多选）")


class ListUploadForm(forms.Form):
    file = forms.FileField(label="名单（Excel：xlsx、xls、ods）")


class ReasonForm(forms.Form):
    reason = forms.CharField(label="退回原因", widget=forms.Textarea(attrs={"rows": 2}))


class DueForm(forms.Form):
    due_date = forms.DateField(label="截止日期", **DATE_WIDGET)


class FilterForm(forms.Form):
    """A list page's filter bar of plain selects, which the page writes out from `selects_html()`: the
    widget templates would render one template per option, and a template loop over the options cost
    the task list a third of its time."""

    def selects_html(self) -> SafeString:
        """Each field as a labelled select, the first option matching its value selected (as Select does)."""
        html = []
        for field in self:
            current = field.value()
            current = "" if current is None else str(current)
            options, chosen = [], False
            for value, label in field.field.choices:
                selected = not chosen and str(value) == current
                chosen = chosen or selected
                options.append(f'<option value="{escape(str(value))}"{" selected" if selected else ""}>{escape(str(label))}</option>')
            invalid = ' aria-invalid="true"' if field.errors else ""
            described = getattr(field, "aria_describedby", None)
            described = f' aria-describedby="{escape(described)}"' if described else ""
            html.append(
                f'<div class="col-auto"><label class="form-label small mb-0" for="{escape(field.id_for_label)}">'
                f'{escape(str(field.label))}</label><select name="{escape(field.html_name)}"{invalid}{described} '
                f'id="{escape(field.id_for_label)}">{"".join(options)}</select></div>'
            )
        return mark_safe("".join(html))  # every value is escaped above


class AssignmentFilterForm(FilterForm):
    section = forms.ChoiceField(label="方案章节", required=False, choices=[("", "全部章节"), *Section.choices])
    level = forms.ChoiceField(label="层级", required=False, choices=[("", "全部层级"), *Level.choices])
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *AssignmentStatus.choices, ("overdue", "已逾期")]
    )


class FindingForm(forms.Form):
    source = forms.ChoiceField(label="问题来源", choices=FindingSource.choices)
    source_detail = forms.CharField(label="来源说明", required=False, max_length=100,
                                    help_text="如：2021年自治区后评估反馈、审计报告第3条")
    found_on = forms.DateField(label="发现日期", required=False, **DATE_WIDGET)
    description = forms.CharField(label="问题描述", widget=forms.Textarea(attrs={"rows": 3}))
    village = forms.ModelChoiceField(label="涉及行政村", required=False, queryset=Village.objects.none())
    department = forms.ModelChoiceField(label="涉及部门", required=False, queryset=Department.objects.none())
    household_name = forms.CharField(label="涉及农户（户主姓名）", required=False, max_length=30)
    responsible_department = forms.ModelChoiceField(label="责任部门", required=False, queryset=Department.objects.none())
    responsible_township = forms.ModelChoiceField(label="责任乡镇", required=False, queryset=Township.objects.none(),
                                                  help_text="责任部门和责任乡镇只选一个。")
    measures = forms.CharField(label="整改措施", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label="整改时限", **DATE_WIDGET)

    def __init__(self, *args, campaign: Campaign, villages, townships, **kwargs):
        super().__init__(*args, **kwargs)
        departments = Department.objects.filter(county_id=campaign.county_id).order_by("name")
        self.fields["village"].queryset = villages.select_related("township").order_by("code")
        self.fields["village"].label_from_instance = lambda v: f"{v.township.name}{v.name}"
        self.fields["department"].queryset = departments
        self.fields["responsible_department"].queryset = departments
        self.fields["responsible_township"].queryset = townships.order_by("code")

    def clean(self):
        data = super().clean()
        if bool(data.get("responsible_department")) == bool(data.get("responsible_township")):
            raise forms.ValidationError("请选择一个责任单位：责任部门或责任乡镇，只选一个。")
        return data


class FindingFilterForm(FilterForm):
    source = forms.ChoiceField(label="问题来源", required=False, choices=[("", "全部来源"), *FindingSource.choices])
    status = forms.ChoiceField(
        label="状态", required=False, choices=[("", "全部状态"), *FindingStatus.choices, ("overdue", "已超期")]
    )


class ImportForm(forms.Form):
    file = forms.FileField(label="问题整改台账（Excel：xlsx、xls、ods）")


class RectifyForm(forms.Form):
    result = forms.CharField(label="整改情况", widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label="整改佐证（可多选）", required=False)


class GuidesForm(forms.Form):
    """One row of fields per village group: name, phone, training date and note."""

    def __init__(self, *args, groups: list[VillageGroup], guides: dict, **kwargs):
        super().__init__(*args, **kwargs)
        self.groups = groups
        for group in groups:
            guide = guides.get(group.pk)
            prefix = f"g{group.pk}"
            self.fields[f"{prefix}_name"] = forms.CharField(
                label=f"{group.name}引导员", required=False, max_length=30, initial=guide.name if guide else "")
            self.fields[f"{prefix}_phone"] = forms.CharField(
                label="联系电话", required=False, max_length=20, initial=guide.phone if guide else "")
            self.fields[f"{prefix}_trained_on"] = forms.DateField(
                label="培训日期", required=False, initial=guide.trained_on if guide else None, **DATE_WIDGET)
            self.fields[f"{prefix}_note"] = forms.CharField(
                label="培训内容", required=False, max_length=200, initial=guide.training_note if guide else "")

    def rows(self):
        for group in self.groups:
            prefix = f"g{group.pk}"
            yield group, [self[f"{prefix}_{name}"] for name in ("name", "phone", "trained_on", "note")]
