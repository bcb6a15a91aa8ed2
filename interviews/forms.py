from django import forms
from django.utils import timezone

from evalprep.core.models import RoleAssignment
from households.models import MeasureType
from interviews.models import DataCheck, RehearsalVisit, StatedCategory
from interviews.questionnaire import questionnaire_subjects
from interviews.services import DEFAULT_SAMPLE_SIZE

YES_NO = [(True, "是"), (False, "否")]
INCOME_SOURCES = [("wage", "工资性（务工）"), ("business", "生产经营（种养殖）"), ("property", "财产性（租金、分红）"),
                  ("transfer", "转移性（低保、补贴、养老金）")]


class QuestionForm(forms.Form):
    text = forms.CharField(label="问题", widget=forms.Textarea(attrs={"rows": 4}), max_length=2000)
    data_check = forms.ChoiceField(
        label="与台账核对", choices=[("", "不核对"), *DataCheck.choices], required=False,
        help_text="选择后，回答中的数字会与住户台账计算的数字比对。",
    )


class RespondentAddForm(forms.Form):
    assignment = forms.ModelChoiceField(queryset=RoleAssignment.objects.none(), label="答题人", empty_label="请选择人员")

    def __init__(self, *args, county_id: int, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignment"]
        field.queryset = (
            RoleAssignment.objects.filter(county_id=county_id)
            .select_related("user", "department", "township", "village__township").order_by("role", "user__username")
        )
        field.label_from_instance = lambda a: (
            f"{a.user.get_full_name() or a.user.username} · {a.get_post_display() or a.get_role_display()} · {a.unit_name}"
        )


class AnswerForm(forms.Form):
    text = forms.CharField(label="回答", widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False)


class ReturnForm(forms.Form):
    reason = forms.CharField(label="退回原因", max_length=300, widget=forms.Textarea(attrs={"rows": 2}))


class SampleDrawForm(forms.Form):
    seed = forms.IntegerField(label="随机种子", min_value=0, max_value=2_000_000_000,
                              help_text="同一种子、同一台账抽出的农户完全相同，便于复核。")
    size = forms.IntegerField(label="抽样户数", min_value=1, max_value=2000, initial=DEFAULT_SAMPLE_SIZE)


def _yes_no(label: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=label, choices=YES_NO, coerce=lambda v: v in (True, "True"),
                                  widget=forms.RadioSelect)


class VisitForm(forms.ModelForm):
    """The questionnaire at the door, on a phone: one column, large controls."""

    food_clothing_ok = _yes_no("吃穿不愁")
    schooling_ok = _yes_no("适龄子女都在上学（无失学辍学）")
    medical_insured = _yes_no("家里人都参加了基本医疗保险")
    housing_safe = _yes_no("住房安全")
    water_safe = _yes_no("饮水安全（水量、水质、取水方便）")
    knows_helper = _yes_no("知道自己的帮扶责任人")
    environment_ok = _yes_no("庭院及室内卫生整洁")
    sanitary_toilet = _yes_no("有卫生厕所")
    stated_income_sources = forms.MultipleChoiceField(
        label="主要收入来源", choices=INCOME_SOURCES, required=False, widget=forms.CheckboxSelectMultiple
    )
    stated_measures = forms.MultipleChoiceField(
        label="农户说出的享受政策（帮扶措施）", choices=MeasureType.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    stated_category = forms.ChoiceField(label="农户说自己是", choices=StatedCategory.choices, widget=forms.RadioSelect)

    class Meta:
        model = RehearsalVisit
        fields = [
            "visited_on", "visitor_name", "stated_category", "food_clothing_ok", "schooling_ok", "medical_insured",
            "housing_safe", "water_safe", "stated_income_per_capita", "stated_income_sources", "stated_measures",
            "knows_helper", "environment_ok", "sanitary_toilet", "satisfaction", "note",
        ]
        widgets = {
            "visited_on": forms.DateInput(attrs={"type": "date"}),
            "stated_income_per_capita": forms.NumberInput(attrs={"inputmode": "numeric", "min": 0, "step": 1}),
            "satisfaction": forms.RadioSelect,
        }

    def __init__(self, *args, category: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        wanted = {name for subject in questionnaire_subjects(category) for name in subject.fields}
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.subjects = [
            (subject.title, [self[name] for name in subject.fields]) for subject in questionnaire_subjects(category)
        ]
        self.fields["visited_on"].initial = timezone.localdate()
        self.fields["stated_income_per_capita"].help_text = "问农户：去年全家人均一年纯收入大约多少元？"
        self.fields["satisfaction"].choices = self.fields["satisfaction"].choices[1:]
