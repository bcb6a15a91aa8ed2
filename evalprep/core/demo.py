"""The demo county: a synthetic county shaped like the district of the 2021 seed plan.

Everything here is invented. The county (示范县, division code 99…, not a real
province) has four townships and 35 villages like the seed's district, its line
departments carry the duties and deadlines of the seed plan, and its task force
is the seed's 附件1 with the personal names replaced by Faker names and the
place names by the demo's own.

Running the seed again with the same number leaves every row as it was: each
row is found by its natural key (division code, name, username, group and
position in the group) and written only when a value differs. Names and figures
come from ``random.Random(seed)`` and a Faker seeded with ``seed``, drawn in a
fixed order that never depends on what the database already holds.
"""

import os
import random
import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any, TextIO, TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.utils import timezone
from faker import Faker

from evalprep.core.errors import EvalprepError
from evalprep.core.models import (
    Campaign,
    County,
    Department,
    DepartmentKind,
    GroupRole,
    Milestone,
    MilestoneKind,
    RelocationSite,
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
from households.demo import seed_households, write_sample_rosters
from households.national_demo import national_demo_seed
from households.screening import screening_run
from indicators.demo import indicators_demo_seed
from indicators.services import checklist_expand, framework_load
from interviews.demo import interviews_demo_seed
from tasks.demo import tasks_demo_seed

ModelT = TypeVar("ModelT", bound=models.Model)

COUNTY_NAME = "示范县"
COUNTY_CODE = "990101000000"  # 99 is no province: the code cannot collide with a real one.
# (name, number of villages); the seed's district has 2 镇 and 2 乡 with 35 villages.
TOWNSHIPS = (("青禾镇", 9), ("安澜镇", 9), ("石梁乡", 9), ("云岭乡", 8))
# (name, township number); the seed has one large site in a 镇 and one in a 乡.
RELOCATION_SITES = (("新安家园", 2), ("幸福家园", 4))
# The most villages a demo county can have: the two-character names run out beyond this.
VILLAGES_MAX = 300
VILLAGE_FIRST = "青石柳杏槐枣梨泉丰兴永安和平富康宁福吉长"
VILLAGE_SECOND = "河沟湾坪岭庄台渠滩堡坝塘园营屯峪"
NUMERALS = "一二三四五六七八九十"
FRAMEWORK = "2021-national"
MONITORING_INCOME_LINE = 6000

# Usernames printed after the run, in this order.
MAIN_LOGINS = (
    "bureau", "leader", "admin", "dept-education", "head-education",
    "town1", "town1-head", "supervise1", "v0101-sj", "v0101-dysj",
)

# ---------------------------------------------------------------------------
# Department duties, condensed from the seed plan (六、(一)(二)(三)).
# ---------------------------------------------------------------------------

_INTERVIEW = (
    "做好本单位访谈提纲问题回答，一把手要熟知访谈内容和本行业业务工作；"
    "访谈提纲经单位一把手审核签字后，于12月20日下班前报乡村振兴局。"
)
_REPORT = (
    "起草本部门年度巩固拓展脱贫攻坚成果同乡村振兴有效衔接工作总结，完善典型经验材料（2篇），"
    "经单位一把手审核签字后，于12月22日前报乡村振兴局。"
)
_COUNTY_ARCHIVE = (
    "收集整理县委常委会、政府常务会、县委农村工作领导小组会议等传达学习和安排部署巩固拓展脱贫攻坚成果、"
    "有效衔接乡村振兴的会议纪要，分管领导专题会议、县级领导调研指导和包抓移民村工作的档案资料。"
)
_COUNTY_INTERVIEW = "做好县级访谈提纲的问题回答，要求内容准确、政策措施详实、涉及数字精准。"
_INTERVIEWED = "单位负责人列入部门访谈组必访谈人员，要熟知本单位访谈提纲内容和本行业业务工作。"

DEPARTMENT_DUTIES: dict[str, tuple[str, ...]] = {
    DepartmentKind.BUREAU: (
        "围绕“两不愁三保障”、收入支出、饮水安全等指标摸排符合防返贫监测条件的农户，出现一户纳入一户，"
        "实现应纳尽纳；核查网上平台数据与实际数据是否统一、帮扶手册填写是否规范，12月25日前完成整改。",
        "进一步完善县级访谈提纲，于12月20日下班前报县委和政府主要领导审核。",
        "高质量起草{county}年度巩固脱贫成果汇报材料，统一装订典型经验材料，于12月23日前送分管领导审核。",
        "汇总各村“四查四补”工作台账，建立县级“四查四补”工作台账。",
        "建立反馈问题清单、制定整改措施、压实整改责任，确保12月25日前各级反馈问题全部完成整改。",
        _INTERVIEW,
    ),
    DepartmentKind.PARTY_OFFICE: (_COUNTY_ARCHIVE, _COUNTY_INTERVIEW),
    DepartmentKind.GOVERNMENT_OFFICE: (_COUNTY_ARCHIVE, _COUNTY_INTERVIEW),
    DepartmentKind.ORGANIZATION: (
        _COUNTY_ARCHIVE,
        "收集整理第一书记、驻村工作队选派、考核、考勤、管理等方面的档案资料。",
        _COUNTY_INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.PROPAGANDA: (_REPORT,),
    DepartmentKind.DEVELOPMENT_REFORM: (_INTERVIEWED,),
    DepartmentKind.EDUCATION: (
        "负责各乡镇筛查义务教育适龄儿童（残疾儿童）失学辍学信息、困难学生资助信息，梳理收集佐证资料；"
        "如有疑似辍学学生、未享受相关教育资助的困难学生，将名册于12月20日下班前报乡村振兴局。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.HEALTH: (
        "负责对脱贫人口和监测对象大病、重病救治情况进行监测，筛查医疗机构新增确诊大病、重症慢性病等农村患者信息，"
        "建立健全因病返贫致贫风险人群监测预警和精准帮扶机制；完善签约医生相关资料，核查村卫生室药品是否齐全、"
        "是否正常运行，于12月20日下班前将重大疾病监测人员名单报乡村振兴局。",
        "会同残联筛查新增重度残疾鉴定和残疾人办证信息，如有未鉴定办证的残疾人于12月25日前完成整改。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.MEDICAL_INSURANCE: (
        "负责各乡镇筛查基本医疗合规保障后个人自费开支较大（超过上年度全省农民人均可支配收入2倍）的农村大病、"
        "重症慢性病患者信息，筛查农村居民基本医疗保险缴纳情况，于12月20日下班前将农村大病等患者名册报乡村振兴局。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.CIVIL_AFFAIRS: (
        "负责各乡镇筛查新增“寡、鳏、孤、独、残”或突发重大变故以及新增低保、特困供养、临时救助等困难家庭信息，"
        "将筛查名单于12月20日下班前报乡村振兴局；发现特困家庭未得到救助帮扶的，于12月25日前完成整改。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.HUMAN_RESOURCES: (
        "负责筛查农村居民基本养老保险缴纳情况，指导乡镇开展就业创业政策宣传、摸排劳动力基本情况，加强技能培训，"
        "通过帮扶车间、产业园区、农村公益性岗位等解决零就业家庭就业问题，实现脱贫户家庭至少一人稳定就业；"
        "筛查就业补贴、公益性岗位工资是否兑付到位，将筛查结果于12月20日下班前报乡村振兴局。",
        _INTERVIEW,
    ),
    DepartmentKind.HOUSING: (
        "负责各乡镇筛查新增农村C、D级危房，排查入住土坯房、住房空间小、房屋有裂缝等情况，"
        "将排查结果于12月22日下班前报乡村振兴局，并制定整改计划。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.AGRICULTURE_WATER: (
        "负责各乡镇筛查水源地及水质问题，健全水质监测报告等台账，逐户排查冬季冻水、供水不稳定、自来水未到户等问题；"
        "将排查结果于12月22日下班前报乡村振兴局，12月25日前完成整改。",
        "负责各乡镇产业政策宣传和落实情况排查，摸清群众产业需求，制定产业帮扶计划，12月25日前完成整改。",
        _INTERVIEW,
        _REPORT,
    ),
    DepartmentKind.FINANCE: (
        "负责加快巩固拓展脱贫攻坚成果各类衔接资金支付进度，各乡镇、各有关部门积极配合，12月24日前必须达到100%以上。",
    ),
    DepartmentKind.AUDIT: ("参加项目核查及衔接资金安排使用管理组，查阅各类乡村振兴衔接资金的使用和管理情况。",),
    DepartmentKind.TRANSPORT: (_REPORT,),
    DepartmentKind.NATURAL_RESOURCES: (_REPORT,),
    DepartmentKind.COMMERCE: (_INTERVIEWED,),
    DepartmentKind.EMPLOYMENT: (_INTERVIEWED,),
    DepartmentKind.DISABLED_FEDERATION: (
        "会同卫健部门负责各乡镇筛查新增重度残疾鉴定和残疾人办证信息，核查残疾补贴是否落实到位、是否有残疾人未鉴定办证，"
        "如有未鉴定办证的残疾人于12月25日前完成整改。",
    ),
    DepartmentKind.PETITIONS: ("负责后评估检查期间的信访维稳和矛盾排查调处工作（信访维稳组联络员）。",),
    DepartmentKind.PUBLIC_SECURITY: ("参加信访维稳组，确保后评估检查期间不出现上访、阻挡干扰后评估人员的现象。",),
    DepartmentKind.SCIENCE: (_REPORT,),
    DepartmentKind.CULTURE: (_REPORT,),
    DepartmentKind.GENERAL_AFFAIRS: (
        "负责后评估组实地评估及进村入户的车辆、食宿、办公场所及网络保障（疫情防控及后勤保障组联络员）。",
    ),
}

# The person key of each department's head, where the task force names the
# same person with a longer title; otherwise "<department><局长|主任|…>".
DEPARTMENT_HEAD_KEYS = {
    DepartmentKind.ORGANIZATION: "{county}委常委、组织部长",
    DepartmentKind.PUBLIC_SECURITY: "{county}政府副县长、公安分局局长",
    DepartmentKind.DISABLED_FEDERATION: "残疾人联合会理事长",
}

# ---------------------------------------------------------------------------
# The backward schedule (倒排工期): (month, day, kind, name, note).
# ---------------------------------------------------------------------------

MILESTONES = (
    (12, 5, MilestoneKind.NATIONAL_SYSTEM_CLOSES, "全国防返贫监测信息系统关闭（数据更新截止）",
     "全国防止返贫监测和衔接推进乡村振兴信息系统将于12月5日前关闭，要加快数据更新和清洗工作进度，提高年度信息数据质量。"),
    (12, 20, MilestoneKind.LISTS_DUE, "部门筛查名单报送截止",
     "卫健、医保、教育、民政、人社等部门将筛查名单于12月20日下班前报乡村振兴局。"),
    (12, 20, MilestoneKind.OUTLINES_DUE, "访谈提纲报送截止",
     "部门访谈提纲经单位一把手审核签字、村级和安置点访谈提纲经乡级审核盖章后，于12月20日下班前报乡村振兴局。"),
    (12, 20, MilestoneKind.TRAINING, "乡镇培训会",
     "各乡镇在12月20日前召开培训会，乡镇党委书记围绕网格化管理程序、四查四补、产业帮扶政策、访谈问题回答等内容"
     "亲自对驻村第一书记、村干部进行培训。"),
    (12, 22, MilestoneKind.REPORTS_DUE, "汇报材料和典型经验材料报送截止",
     "部门工作总结和典型经验材料（2篇）经单位一把手审核签字、乡镇汇报材料经乡镇党委书记审定签字后，于12月22日前报乡村振兴局。"),
    (12, 22, MilestoneKind.LISTS_DUE, "危房和饮水排查结果报送",
     "住建局将新增农村C、D级危房排查结果、农水局将饮水安全排查结果于12月22日下班前报乡村振兴局。"),
    (12, 23, MilestoneKind.OTHER, "四查四补台账汇总",
     "各村梳理汇总的“四查四补”工作台账于12月23日报乡村振兴局统一汇总，建立县级“四查四补”工作台账。"),
    (12, 24, MilestoneKind.FUNDS_PAID, "衔接资金支付进度达到100%",
     "由财政局负责，各乡镇、各有关部门积极配合，各类衔接资金支付进度12月24日前必须达到100%以上。"),
    (12, 25, MilestoneKind.RECTIFICATION_DUE, "反馈问题整改清零",
     "乡村振兴局建立问题清单、制定整改措施、压实整改责任，确保12月25日前各级反馈问题全部完成整改。"),
    (12, 25, MilestoneKind.REHEARSAL_DONE, "大走访大演练完成",
     "各乡镇组织村组干部、第一书记、驻村工作队员、帮扶责任人于12月25日前按照三类调查问卷对所有农户开展大走访、大演练。"),
)

# ---------------------------------------------------------------------------
# The task force (附件1). Members are person keys: the title shown, plus
# "#n" where the seed names several people with the same title. {county} is
# the county, {tN} township N, {tN_head} its 镇长/乡长, {tN_deputy} its
# 副镇长/副乡长, {villages} the number of villages.
# ---------------------------------------------------------------------------

L, D, M_, I = GroupRole.LEADER, GroupRole.DEPUTY, GroupRole.MEMBER, GroupRole.LIAISON


@dataclass(frozen=True)
class _GroupSpec:
    name: str
    kind: str
    duties: str
    members: tuple[tuple[str, ...], ...]  # (role, person key) or (role, person key, note on the position)
    township: int | None = None


_SUPERVISION_DUTIES = (
    "配合督察组对{township}迎接国家巩固脱贫成果后评估各项准备工作开展督查，主要采取入户走访、查阅资料、座谈交流、"
    "实地查看等形式，发现存在问题立即协调解决。{township}及各村要提前准备好详细的花名册及档案资料以备查阅。"
)

TASK_FORCE = (
    _GroupSpec(
        "迎接国家巩固脱贫成果后评估工作领导小组", WorkingGroupKind.LEADING_GROUP,
        "统筹全县迎接国家巩固脱贫成果后评估工作。成员：县委各部委、政府各部门主要负责同志，各乡镇党委、政府主要负责同志。"
        "联络人由乡村振兴局局长担任，负责与省、市乡村振兴局及国家考核组联络、协调、服务工作。",
        (
            (L, "{county}委书记"),
            (D, "{county}人大常委会主任"), (D, "{county}委副书记、县长"), (D, "{county}政协主席"),
            (D, "{county}委常委、组织部长"), (D, "{county}委常委、纪委书记"), (D, "{county}委常委、常务副县长"),
            (D, "{county}委常委、人武部政委"), (D, "{county}委常委、政府副县长#1"),
            (D, "{county}委常委、政府副县长#2"), (D, "{county}委常委、政府副县长#3"),
            (D, "{county}委常委、{t1}党委书记"),
            (D, "{county}人大副主任#1"), (D, "{county}人大副主任#2"), (D, "{county}人大副主任#3"),
            (D, "{county}人大副主任#4"),
            (D, "{county}政府副县长#1"), (D, "{county}政府副县长、公安分局局长"), (D, "{county}政府副县长#2"),
            (D, "{county}政府副县长#3"), (D, "{county}政府副县长#4"),
            (D, "{county}政协副主席#1"), (D, "{county}政协副主席#2"),
            (I, "乡村振兴局局长"),
        ),
    ),
    _GroupSpec(
        "领导小组办公室", WorkingGroupKind.WORKING_GROUP,
        "承担领导小组日常工作，统筹协调各工作组和各乡镇迎评准备；联络员负责与省、市乡村振兴局及国家考核组联络、协调、服务工作。",
        (
            (L, "{county}政府副县长#1"),
            (D, "{t2}党委书记"), (D, "{t4}党委书记"), (D, "{t3}党委书记"), (D, "{t1_head}"),
            (I, "乡村振兴局局长"),
        ),
    ),
    _GroupSpec(
        "汇报材料准备组", WorkingGroupKind.WORKING_GROUP,
        "1.撰写巩固脱贫攻坚成果情况介绍；2.撰写{county}乡村振兴工作情况介绍；"
        "3.撰写{county}健全防止返贫动态监测和帮扶机制相关工作开展情况材料；"
        "4.收集整理全县全部行政村基本情况，包括行政村户数、人数及低保户数、特困供养户数、易地搬迁户数等信息。",
        (
            (L, "{county}委常委、组织部长"),
            (D, "{county}政府副县长#2"), (D, "{county}政协副主席#1"),
            (M_, "县委办公室主任"), (M_, "县委政策研究室主任"), (M_, "乡村振兴局局长"),
            (I, "乡村振兴局办公室主任"),
        ),
    ),
    _GroupSpec(
        "交流访谈组", WorkingGroupKind.WORKING_GROUP,
        "负责各级座谈人员的组织召集，联系协调会场、会务工作。交流座谈分县级座谈、乡镇座谈、村级座谈。"
        "被访谈人要提前根据访谈提纲，精准掌握工作开展情况和有关数据，全面、客观、如实地介绍{county}巩固脱贫成果工作。\n"
        "1.县级领导访谈组：县委书记、人大常委会主任、县长、政协主席、组织部长、人大副主任、副县长、政协副主席"
        "（其他县处级领导也要做好访谈准备），联络员为县委办公室主任。\n"
        "2.部门访谈组：发改、农业农村和水务、教育、卫生健康、医保、住建、民政、商务合作、乡村振兴、就业创业服务中心负责人，"
        "联络员为县委组织部副部长。\n"
        "3.乡镇村干部访谈组：各乡镇党委书记、乡镇长，{villages}个行政村驻村第一书记、党支部书记（主任），联络员为乡村振兴局副局长。",
        (
            (L, "{county}委常委、组织部长"),
            (M_, "{county}委常委、{t1}党委书记"), (M_, "县委办公室主任"),
            (M_, "{t2}党委书记"), (M_, "{t3}党委书记"), (M_, "{t4}党委书记"),
            (I, "县委组织部副部长", "（负责县级领导、人大政协委员及行业部门负责人）"),
            (I, "乡村振兴局副局长#1", "（负责乡村级干部、帮扶干部及驻村第一书记）"),
        ),
    ),
    _GroupSpec(
        "档案资料组", WorkingGroupKind.WORKING_GROUP,
        "县级各行业部门做好本部门巩固拓展脱贫攻坚成果、推进乡村振兴资料的整理归档工作，重点整理{county}巩固拓展脱贫攻坚成果"
        "同乡村振兴有效衔接总体部署和政策措施出台情况，包括责任体系建设、政策落实、“四个不摘”落实、“四查四补”常态化机制"
        "建立与问题整改、防止返贫动态监测和帮扶、饮水安全、义务教育、基本医疗、住房安全、产业帮扶、就业帮扶、资金项目"
        "使用管理、扶贫项目资产管理、金融帮扶、农村低收入人口综合保障和反馈问题整改等方面的资料。镇村整理归档落实"
        "“两不愁三保障”及巩固脱贫成果相关政策档案资料，提供各村农户名单和防返贫监测户具体信息。"
        "成员还包括农业农村和水务局、住建局、民政局、教育局、卫生健康局、医保局、人社局、各乡镇档案资料分管领导。",
        (
            (L, "{county}政府副县长#3"),
            (M_, "县委办公室副主任"), (M_, "政府办公室副主任"),
            (I, "乡村振兴局办公室主任"),
        ),
    ),
    _GroupSpec(
        "{t1}包抓组", WorkingGroupKind.SUPERVISION, _SUPERVISION_DUTIES,
        (
            (L, "{county}委副书记、县长"), (D, "{county}人大副主任#1"),
            (M_, "{county}委常委、{t1}党委书记"), (M_, "{t1_head}"), (M_, "{t1_deputy}"), (M_, "乡村振兴局副局长#1"),
            (I, "{t1_deputy}"),
        ),
        township=1,
    ),
    _GroupSpec(
        "{t2}包抓组", WorkingGroupKind.SUPERVISION, _SUPERVISION_DUTIES,
        (
            (L, "{county}政协主席"), (D, "{county}政府副县长#4"),
            (M_, "{t2}党委书记"), (M_, "{t2_head}"), (M_, "{t2_deputy}"), (M_, "乡村振兴局副局长#2"),
            (I, "{t2_deputy}"),
        ),
        township=2,
    ),
    _GroupSpec(
        "{t3}包抓组", WorkingGroupKind.SUPERVISION, _SUPERVISION_DUTIES,
        (
            (L, "{county}人大常委会主任"), (D, "{county}人大副主任#2"),
            (M_, "{t3}党委书记"), (M_, "{t3_head}"), (M_, "{t3_deputy}"), (M_, "乡村振兴局专干#1"),
            (I, "{t3_deputy}"),
        ),
        township=3,
    ),
    _GroupSpec(
        "{t4}包抓组", WorkingGroupKind.SUPERVISION, _SUPERVISION_DUTIES,
        (
            (L, "{county}委书记"), (D, "{county}人大副主任#3"),
            (M_, "{t4}党委书记"), (M_, "{t4_head}"), (M_, "{t4}党委副书记"), (M_, "乡村振兴局专干#2"),
            (I, "{t4}党委副书记"),
        ),
        township=4,
    ),
    _GroupSpec(
        "项目核查及衔接资金安排使用管理组", WorkingGroupKind.WORKING_GROUP,
        "实地核查{county}乡村振兴产业发展、务工就业、易地搬迁后扶、金融、健康、教育、基础设施建设等方面的项目实施情况，"
        "查阅各类乡村振兴衔接资金的使用和管理情况。",
        (
            (L, "{county}委常委、常务副县长"), (D, "{county}政府副县长#2"),
            (M_, "农业农村和水务局局长"), (M_, "财政局局长"), (M_, "审计局局长"),
            (M_, "{t2}党委书记"), (M_, "{t4}党委书记"),
            (I, "乡村振兴局局长"), (I, "财政局副局长"),
        ),
    ),
    _GroupSpec(
        "佐证资料（疑似问题核查）组", WorkingGroupKind.WORKING_GROUP,
        "1.针对后评估过程中反馈的问题，涉及相关部门的需快速提供佐证资料，确保反馈问题当场化解（最迟当天化解）。"
        "2.各乡镇、金融部门明确责任领导和值班人员，确保后评估期间24小时在岗值班，按时将所需佐证资料送达各乡镇村。",
        (
            (L, "{county}政府副县长#3"),
            (M_, "{t2_head}"), (M_, "{t1_head}"), (M_, "{t3_head}"), (M_, "{t4_head}"),
            (I, "乡村振兴局局长"),
        ),
    ),
    _GroupSpec(
        "信访维稳组", WorkingGroupKind.WORKING_GROUP,
        "负责后评估检查期间的信访维稳和矛盾排查调处工作，确保在后评估检查期间不出现上访、阻挡干扰后评估人员的现象。",
        (
            (L, "{county}委常委、政府副县长#1"), (L, "{county}政府副县长、公安分局局长"),
            (M_, "{county}委常委、{t1}党委书记"), (M_, "信访局局长"),
            (M_, "{t2}党委书记"), (M_, "{t3}党委书记"), (M_, "{t4}党委书记"),
            (I, "信访局局长"),
        ),
    ),
    _GroupSpec(
        "疫情防控及后勤保障组", WorkingGroupKind.WORKING_GROUP,
        "制定下发{county}迎接后评估疫情防控工作预案，落实防疫措施，如遇突发情况立即启动应急预案。"
        "负责后评估组实地评估及进村入户调查访谈的车辆、食宿、办公场所及网络保障，住宿和餐饮环境相对独立，"
        "协调做好评估人员、车辆、评估对象的配对工作，中途不得更换，确保交通食宿安全和评估工作顺利开展。",
        (
            (L, "{county}政府副县长#4"), (L, "{county}政协副主席#2"),
            (M_, "卫生健康局局长"), (M_, "机关事务管理中心主任"), (M_, "卫生健康局副局长"), (M_, "乡村振兴局办公室主任"),
            (I, "机关事务管理中心主任"),
        ),
    ),
)


@dataclass(frozen=True)
class DemoSummary:
    county: str
    townships: int
    villages: int
    village_groups: int
    relocation_sites: int
    departments: int
    working_groups: int
    working_group_members: int
    milestones: int
    users: int
    role_assignments: int
    households: int


@dataclass(frozen=True)
class _Person:
    last_name: str
    first_name: str
    phone: str

    @property
    def name(self) -> str:
        return self.last_name + self.first_name


class _People:
    """One invented person per key, so that a title met in several groups is one person."""

    def __init__(self, fake: Faker, placeholders: dict[str, Any]) -> None:
        self._fake = fake
        self._placeholders = placeholders
        self._by_key: dict[str, _Person] = {}
        self._names: set[str] = set()

    def key(self, template: str) -> str:
        return template.format(**self._placeholders)

    def get(self, template: str) -> _Person:
        key = self.key(template)
        if key not in self._by_key:
            while True:
                last_name, first_name = self._fake.last_name(), self._fake.first_name()
                if last_name + first_name not in self._names:
                    break
            self._names.add(last_name + first_name)
            self._by_key[key] = _Person(last_name, first_name, self._fake.phone_number())
        return self._by_key[key]


class _DemoPassword:
    """settings.DEMO_PASSWORD, hashed once; every demo user created in a run shares that hash.

    A shared salt is harmless here (the password is public) and keeps the run
    fast: PBKDF2 runs once per distinct stored hash, not once per user.
    """

    def __init__(self) -> None:
        self.raw = settings.DEMO_PASSWORD
        self._encoded = ""
        self._checked: dict[str, bool] = {}

    @property
    def encoded(self) -> str:
        if not self._encoded:
            self._encoded = make_password(self.raw)
            self._checked[self._encoded] = True
        return self._encoded

    def matches(self, encoded: str) -> bool:
        if encoded not in self._checked:
            self._checked[encoded] = bool(encoded) and check_password(self.raw, encoded)
        return self._checked[encoded]


def demo_county_seed(
    *, seed: int, households: int = 0, villages: int | None = None, stdout: TextIO | None = None,
) -> DemoSummary:
    """Build or refresh the demo county; the same seed always gives the same rows.

    ``villages`` spreads that many villages over the four townships instead of
    the usual 35 (the load benchmark's county has 200).
    """
    if households < 0:
        raise EvalprepError("演示农户数量不能为负数。")
    sizes = township_sizes(villages)
    rng = random.Random(seed)
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    with transaction.atomic():
        county = _upsert(County, code=COUNTY_CODE, defaults={"name": COUNTY_NAME})
        townships = _townships_seed(county=county)
        villages = _villages_seed(townships=townships, sizes=sizes, rng=rng)
        _relocation_sites_seed(county=county, villages=villages, rng=rng)
        departments = _departments_seed(county=county)
        people = _People(fake, _placeholders(townships, villages))
        users = _users_seed(county=county, departments=departments, villages=villages, people=people)
        _task_force_seed(county=county, townships=townships, people=people, users=users)
        campaign = _campaign_seed(county=county)
        household_count = _households_seed(county=county, count=households, seed=seed, stdout=stdout)
        framework_load(name=campaign.framework)
        checklist_expand(campaign=campaign)
        if household_count:
            screening_run(campaign=campaign)  # the worklist and the dossiers' flags have something to show
        for module_seed in (indicators_demo_seed, tasks_demo_seed, interviews_demo_seed, national_demo_seed):
            module_seed(county=county, campaign=campaign, seed=seed)
    summary = DemoSummary(
        county=county.name,
        townships=len(townships),
        villages=sum(len(v) for v in villages.values()),
        village_groups=VillageGroup.objects.filter(village__township__county=county).count(),
        relocation_sites=county.relocation_sites.count(),
        departments=len(departments),
        working_groups=county.working_groups.count(),
        working_group_members=WorkingGroupMember.objects.filter(group__county=county).count(),
        milestones=campaign.milestones.count(),
        users=len({user.pk for user in users.values()}),
        role_assignments=county.role_assignments.count(),
        households=household_count,
    )
    if stdout is not None:
        _summary_write(summary=summary, county=county, stdout=stdout)
    return summary


# --- the tree ---------------------------------------------------------------


def _townships_seed(*, county: County) -> list[Township]:
    return [
        _upsert(Township, code=f"{county.code[:6]}{100 + index:03d}000", defaults={"county": county, "name": name})
        for index, (name, _) in enumerate(TOWNSHIPS, start=1)
    ]


def township_sizes(villages: int | None) -> list[int]:
    """Villages per township: the usual 9, 9, 9, 8, or ``villages`` spread evenly over the four."""
    if villages is None:
        return [count for _, count in TOWNSHIPS]
    if not len(TOWNSHIPS) <= villages <= VILLAGES_MAX:
        raise EvalprepError(f"演示行政村数量应在 {len(TOWNSHIPS)} 到 {VILLAGES_MAX} 之间，现为 {villages}。")
    base, extra = divmod(villages, len(TOWNSHIPS))
    return [base + (index < extra) for index in range(len(TOWNSHIPS))]


def _villages_seed(*, townships: list[Township], sizes: list[int], rng: random.Random) -> dict[int, list[Village]]:
    """Villages per township number (1-based), each with 3–6 groups."""
    names = _village_names(rng, sum(sizes))
    villages: dict[int, list[Village]] = {}
    for t_index, (township, count) in enumerate(zip(townships, sizes), start=1):
        villages[t_index] = []
        for v_index in range(1, count + 1):
            lifted = rng.random() < 0.4
            group_count = rng.randint(3, 6)
            village = _upsert(
                Village,
                code=f"{township.code[:9]}{200 + v_index:03d}",
                defaults={"township": township, "name": names.pop(0), "is_lifted_village": lifted},
            )
            for number in range(1, group_count + 1):
                _upsert(
                    VillageGroup, village=village, number=number, bulk=True,
                    defaults={"name": f"第{NUMERALS[number - 1]}组"},
                )
            village.groups.filter(number__gt=group_count).delete()
            villages[t_index].append(village)
    return villages


def _village_names(rng: random.Random, count: int) -> list[str]:
    names: list[str] = []
    while len(names) < count:
        name = f"{rng.choice(VILLAGE_FIRST)}{rng.choice(VILLAGE_SECOND)}村"
        if name not in names:
            names.append(name)
    return names


def _relocation_sites_seed(*, county: County, villages: dict[int, list[Village]], rng: random.Random) -> None:
    for name, t_index in RELOCATION_SITES:
        village = rng.choice(villages[t_index])
        households = rng.randrange(120, 400, 10)
        people = round(households * rng.uniform(2.8, 3.6))
        _upsert(
            RelocationSite, county=county, name=name,
            defaults={"village": village, "households_planned": households, "people_planned": people},
        )


def _departments_seed(*, county: County) -> dict[str, Department]:
    return {
        kind: _upsert(
            Department, county=county, kind=kind,
            defaults={
                "name": str(kind.label),
                "duties": "\n".join(
                    f"{n}.{text}" for n, text in enumerate(DEPARTMENT_DUTIES.get(kind, ()), start=1)
                ).format(county=county.name),
            },
        )
        for kind in DepartmentKind
    }


def _placeholders(townships: list[Township], villages: dict[int, list[Village]]) -> dict[str, Any]:
    values: dict[str, Any] = {"county": COUNTY_NAME, "villages": sum(len(v) for v in villages.values())}
    for index, township in enumerate(townships, start=1):
        kind = township.name[-1]  # 镇 or 乡
        values[f"t{index}"] = township.name
        values[f"t{index}_head"] = f"{township.name}{kind}长"
        values[f"t{index}_deputy"] = f"{township.name}副{kind}长"
    return values


# --- people -----------------------------------------------------------------


def _users_seed(
    *, county: County, departments: dict[str, Department], villages: dict[int, list[Village]], people: _People
) -> dict[str, AbstractUser]:
    """Every demo login with its role; returns the users by person key."""
    password = _DemoPassword()
    by_key: dict[str, AbstractUser] = {}

    def login(username: str, key: str, role: str, *, staff: bool = False, **unit: Any) -> None:
        person = people.get(key)
        user = _user_upsert(username=username, person=person, staff=staff, password=password)
        _upsert(
            RoleAssignment, bulk=True,
            user=user, role=role, county=county,
            department=unit.get("department"), township=unit.get("township"), village=unit.get("village"),
            defaults={"post": unit.get("post", ""), "phone": person.phone},
        )
        by_key[people.key(key)] = user

    login("bureau", "乡村振兴局办公室主任", Role.COORDINATOR)
    login("leader", "{county}委书记", Role.LEADER)
    login("admin", "系统管理员", Role.ADMINISTRATOR, staff=True)
    for kind, department in departments.items():
        login(f"dept-{kind}", f"{department.name}经办人", Role.DEPARTMENT_STAFF, department=department)
        login(f"head-{kind}", _department_head_key(kind, department.name), Role.DEPARTMENT_HEAD, department=department)
    for t_index, township_villages in villages.items():
        township = township_villages[0].township
        login(f"town{t_index}", _township_liaison_key(t_index), Role.TOWNSHIP_STAFF, township=township)
        login(f"town{t_index}-head", _township_secretary_key(t_index), Role.TOWNSHIP_HEAD, township=township)
        login(f"supervise{t_index}", _supervisor_key(t_index), Role.SUPERVISION, township=township)
    for t_index, township_villages in villages.items():
        for v_index, village in enumerate(township_villages, start=1):
            prefix = f"v{t_index:02d}{v_index:02d}"
            posts = [("sj", VillagePost.SECRETARY), ("dysj", VillagePost.FIRST_SECRETARY)]
            if v_index == 1:
                posts += [("dy", VillagePost.TEAM_MEMBER), ("bf", VillagePost.HELPER)]
            for suffix, post in posts:
                login(
                    f"{prefix}-{suffix}", f"{village.code}{post.label}", Role.VILLAGE_CADRE,
                    village=village, post=post,
                )
    return by_key


def _department_head_key(kind: str, name: str) -> str:
    if kind in DEPARTMENT_HEAD_KEYS:
        return DEPARTMENT_HEAD_KEYS[kind]
    if name.endswith(("中心", "办公室")):
        return f"{name}主任"
    return f"{name}部长" if name.endswith("部") else f"{name}局长"


def _township_secretary_key(t_index: int) -> str:
    return "{county}委常委、{t1}党委书记" if t_index == 1 else f"{{t{t_index}}}党委书记"


def _supervision_spec(t_index: int) -> _GroupSpec:
    return next(spec for spec in TASK_FORCE if spec.township == t_index)


def _township_liaison_key(t_index: int) -> str:
    """The township's liaison to its supervision group works the app for the township."""
    return _group_liaison(_supervision_spec(t_index))


def _supervisor_key(t_index: int) -> str:
    """The bureau's member of the township's supervision group."""
    return next(member[1] for member in _supervision_spec(t_index).members if member[1].startswith("乡村振兴局"))


def _group_liaison(spec: _GroupSpec) -> str:
    return next(member[1] for member in spec.members if member[0] == GroupRole.LIAISON)


def _user_upsert(*, username: str, person: _Person, staff: bool, password: _DemoPassword) -> AbstractUser:
    user_model = get_user_model()
    user = user_model.objects.filter(username=username).first() or user_model(username=username)
    values = {
        "last_name": person.last_name, "first_name": person.first_name,
        "is_active": True, "is_staff": staff, "is_superuser": staff,
    }
    changed = user.pk is None
    for field, value in values.items():
        if getattr(user, field) != value:
            setattr(user, field, value)
            changed = True
    if user.pk is None or not password.matches(user.password):
        user.password = password.encoded
        changed = True
    if changed:
        user.full_clean()
        user.save()
    return user


# --- the task force and the campaign ---------------------------------------


def _task_force_seed(
    *, county: County, townships: list[Township], people: _People, users: dict[str, AbstractUser]
) -> None:
    for order, spec in enumerate(TASK_FORCE):
        liaison = people.get(_group_liaison(spec))
        group = _upsert(
            WorkingGroup, county=county, name=people.key(spec.name),
            defaults={
                "kind": spec.kind,
                "order": order,
                "township": townships[spec.township - 1] if spec.township else None,
                "phone": liaison.phone,
                "duties": people.key(spec.duties.replace("{township}", f"{{t{spec.township}}}")),
            },
        )
        for position, (role, template, *note) in enumerate(spec.members):
            person, key = people.get(template), people.key(template)
            _upsert(
                WorkingGroupMember, group=group, order=position, bulk=True,
                defaults={
                    "role": role, "name": person.name, "position": key.split("#")[0] + "".join(note),
                    "phone": person.phone, "user": users.get(key),
                },
            )
        group.members.filter(order__gte=len(spec.members)).delete()


def _campaign_seed(*, county: County) -> Campaign:
    year = timezone.localdate().year
    county.campaigns.filter(is_current=True).exclude(year=year).update(is_current=False)
    campaign = _upsert(
        Campaign, county=county, year=year,
        defaults={
            "name": f"{year}年度巩固脱贫成果后评估",
            "framework": FRAMEWORK,
            "inspection_start": date(year, 12, 25),
            "inspection_end": date(year, 12, 31),
            # Figures are taken as of the end of November, before the national system closes.
            "reference_date": date(year, 11, 30),
            "monitoring_income_line": MONITORING_INCOME_LINE,
            "is_current": True,
        },
    )
    for month, day, kind, name, note in MILESTONES:
        _upsert(
            Milestone, campaign=campaign, name=name,
            defaults={"kind": kind, "due_date": date(year, month, day), "note": note},
        )
    return campaign


def _households_seed(*, county: County, count: int, seed: int, stdout: TextIO | None) -> int:
    """Fill the villages with synthetic households, and write sample roster
    files for the first village under var/samples/ to try the import with."""
    if count == 0:
        return 0
    created = seed_households(county=county, count=count, rng=random.Random(f"households-{seed}"))
    village = Village.objects.filter(township__county=county).order_by("code").first()
    paths = write_sample_rosters(village=village, folder=settings.VAR_DIR / "samples", rng=random.Random(f"samples-{seed}"))
    if stdout is not None:
        stdout.write(f"示例花名册（{village.name}）：{'、'.join(str(p) for p in paths)}\n")
    return created


# --- output -----------------------------------------------------------------


def _summary_write(*, summary: DemoSummary, county: County, stdout: TextIO) -> None:
    lines = [
        f"演示数据已就绪：{summary.county}（{county.code}）",
        f"  乡镇 {summary.townships} 个，行政村 {summary.villages} 个，村民小组 {summary.village_groups} 个，"
        f"易地搬迁安置点 {summary.relocation_sites} 个",
        f"  部门 {summary.departments} 个，工作组 {summary.working_groups} 个（成员 {summary.working_group_members} 人），"
        f"时间节点 {summary.milestones} 个",
        f"  演示账号 {summary.users} 个，角色分配 {summary.role_assignments} 条，农户 {summary.households} 户",
        "",
        "演示账号：",
        f"  {pad_columns('用户名', 16)}{pad_columns('角色', 18)}单位",
    ]
    assignments = {
        a.user.username: a
        for a in RoleAssignment.objects.filter(county=county, user__username__in=MAIN_LOGINS)
        .select_related("user", "department", "township", "village__township")
    }
    for username in MAIN_LOGINS:
        assignment = assignments.get(username)
        if assignment is None:
            continue
        unit = assignment.unit_name
        if assignment.village is not None:
            unit = f"{assignment.village.township.name}{assignment.village.name}（{assignment.get_post_display()}）"
        lines.append(f"  {pad_columns(username, 16)}{pad_columns(assignment.get_role_display(), 18)}{unit}")
    if "DEMO_PASSWORD" in os.environ:
        lines.append("密码：环境变量 DEMO_PASSWORD 的值")
    else:
        lines.append(f"密码：环境变量 DEMO_PASSWORD，默认 {settings.DEMO_PASSWORD}")
    for line in lines:
        stdout.write(line + "\n")


def pad_columns(text: str, width: int) -> str:
    """Left-justify to a display width, counting a Chinese character as two columns."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)


# --- writing ----------------------------------------------------------------


def _upsert(model: type[ModelT], *, defaults: dict[str, Any], bulk: bool = False, **lookup: Any) -> ModelT:
    """Find a row by its natural key; create it, or update only the fields that differ.

    Rows are validated before saving. For the many small rows (``bulk``) the
    unique and check constraints are left to the database, which enforces them
    anyway: validating them in Python costs a query per constraint and row.
    """
    obj = model._default_manager.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **defaults)
    else:
        changed = False
        for name, value in defaults.items():
            field = model._meta.get_field(name)
            current = getattr(obj, field.attname)
            wanted = value.pk if isinstance(value, models.Model) else value
            if current != wanted:
                setattr(obj, name, value)
                changed = True
        if not changed:
            return obj
    obj.full_clean(validate_unique=not bulk, validate_constraints=not bulk)
    obj.save()
    return obj
