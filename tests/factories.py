"""Test data in one place: a small county with one user per role, and a
second county that nobody in the first may see."""

from dataclasses import dataclass, field
from datetime import date

from django.contrib.auth.models import User

from evalprep.core.models import (
    Campaign,
    County,
    Department,
    DepartmentKind,
    GroupRole,
    Milestone,
    MilestoneKind,
    Role,
    RoleAssignment,
    Township,
    Village,
    VillageGroup,
    VillagePost,
    WorkingGroup,
    WorkingGroupKind,
    WorkingGroupMember,
)

PASSWORD = "test-pass-123"
# The production cache with nothing listening on port 1: every call fails as it does while Redis is down.
REDIS_DOWN = {"default": {"BACKEND": "evalprep.core.cache.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}}
ROLE_USERS = [
    "coordinator", "leader", "administrator", "department_staff", "department_head",
    "township_staff", "township_head", "supervision", "village_cadre",
]


def make_county(*, code6: str, name: str, townships: int = 1, villages_per_township: int = 1) -> County:
    county = County.objects.create(name=name, code=f"{code6}000000")
    for t in range(1, townships + 1):
        township = Township.objects.create(county=county, name=f"{name}第{t}镇", code=f"{code6}{100 + t:03d}000")
        for v in range(1, villages_per_township + 1):
            village = Village.objects.create(
                township=township, name=f"{township.name}{v}村", code=f"{township.code[:9]}{200 + v:03d}"
            )
            VillageGroup.objects.create(village=village, number=1, name="第一组")
    return county


def make_user(username: str, *, role: str | None = None, county: County | None = None, **unit) -> User:
    user = User.objects.create_user(username=username, password=PASSWORD, first_name=username)
    if role:
        RoleAssignment.objects.create(user=user, role=role, county=county, **unit)
    return user


def make_campaign(county: County) -> Campaign:
    campaign = Campaign.objects.create(
        county=county, year=2026, name=f"{county.name}2026年度后评估", framework="2021-national",
        inspection_start=date(2026, 12, 25), inspection_end=date(2026, 12, 31),
    )
    Milestone.objects.create(
        campaign=campaign, kind=MilestoneKind.LISTS_DUE, name="名单报送截止", due_date=date(2026, 12, 20)
    )
    return campaign


@dataclass
class World:
    county: County
    townships: list[Township]
    villages: list[Village]
    departments: list[Department]
    campaign: Campaign
    users: dict[str, User] = field(default_factory=dict)
    other_county: County | None = None
    other_campaign: Campaign | None = None


def build_world() -> World:
    """County A: townships T1 (villages V1, V2) and T2 (V3), departments D1, D2.
    County B: one township, village and department. One user per role in A,
    attached to T1, V1 and D1; `no_role` has an account and no assignment."""
    county = make_county(code6="990101", name="甲县", townships=2, villages_per_township=2)
    townships = list(county.townships.order_by("code"))
    villages = list(Village.objects.filter(township__county=county).order_by("code")[:3])
    departments = [
        Department.objects.create(county=county, kind=DepartmentKind.EDUCATION, name="教育局"),
        Department.objects.create(county=county, kind=DepartmentKind.HEALTH, name="卫生健康局"),
    ]
    campaign = make_campaign(county)
    group = WorkingGroup.objects.create(
        county=county, kind=WorkingGroupKind.SUPERVISION, name="第1镇包抓组", township=townships[0]
    )
    WorkingGroupMember.objects.create(group=group, role=GroupRole.LEADER, name="测试组长")
    units = {
        "coordinator": {}, "leader": {}, "administrator": {},
        "department_staff": {"department": departments[0]},
        "department_head": {"department": departments[0]},
        "township_staff": {"township": townships[0]},
        "township_head": {"township": townships[0]},
        "supervision": {"township": townships[0]},
        "village_cadre": {"village": villages[0], "post": VillagePost.SECRETARY},
    }
    users = {role: make_user(role, role=role, county=county, **unit) for role, unit in units.items()}
    users["administrator"].is_staff = True
    users["administrator"].save()
    users["no_role"] = make_user("no_role")

    other = make_county(code6="990202", name="乙县")
    Department.objects.create(county=other, kind=DepartmentKind.EDUCATION, name="乙县教育局")
    users["other_coordinator"] = make_user("other_coordinator", role=Role.COORDINATOR, county=other)
    return World(
        county=county, townships=townships, villages=villages, departments=departments,
        campaign=campaign, users=users, other_county=other, other_campaign=make_campaign(other),
    )


def make_household(village: Village, *, number: str, members: int = 3, category: str = "lifted", seq: int = 0):
    """A household with a head, a spouse and children, valid synthetic IDs."""
    from evalprep.core.idnumber import generate_id_number
    from households.models import Household, IncomeYear, Member

    household = Household.objects.create(
        village=village, number=number, head_name=f"户主{number[-4:]}", category=category,
        member_count=members, phone="13800001234", group=village.groups.first(),
    )
    relations = [("户主", "male", 1970), ("配偶", "female", 1972), ("之子", "male", 1998), ("之女", "female", 2012)]
    for index in range(members):
        relation, sex, year = relations[index % len(relations)]
        Member.objects.create(
            household=household, name=f"{household.head_name}{index}", relation=relation if index < 4 else "其他",
            sex=sex, birth_date=date(year, 3, 1),
            id_number=generate_id_number(region="990101", birth_date=date(year, 3, 1), sex=sex, sequence=(seq * 10 + index) % 1000),
            medical_insurance=True,
        )
    IncomeYear.objects.create(
        household=household, year=2025, household_size=members, wage=30000, business=5000, transfer=2000,
        net_income_per_capita=IncomeYear.per_capita(wage=30000, business=5000, property_income=0, transfer=2000, production_costs=0, household_size=members),
    )
    return household


def bell(client) -> str:
    """The navbar's notifications (the bell) on the home page."""
    html = client.get("/").content.decode()
    return html[html.index('data-testid="notifications"'):html.index('data-testid="whoami"')]
