"""The dossier kinds built from sections: village, department, county briefing pack."""

from evalprep.dossiers.builders import interview_sections as iv
from evalprep.dossiers.builders import national_sections as nt
from evalprep.dossiers.builders import sections as s
from evalprep.dossiers.builders import task_sections as tk
from evalprep.dossiers.builders.base import Builder


class VillageDossier(Builder):
    identifier = "village_dossier"
    title = "迎评档案"
    document_title = "巩固脱贫成果后评估迎评档案"
    scope = "village"
    sections = (
        s.VillageBasics, s.RosterSummary, s.MonitoredHouseholds, s.ScreeningFlags, nt.VillageReconciliation, s.EvidenceChecklist,
        iv.VillageInterviews, tk.VillageTasks, tk.VillageFindings, tk.VillageGuides,
    )


class DepartmentDossier(Builder):
    identifier = "department_dossier"
    title = "迎评档案"
    document_title = "行业部门迎评档案"
    scope = "department"
    sections = (s.DepartmentBasics, tk.DepartmentTasks, s.EvidenceChecklist, iv.DepartmentInterviews, tk.DepartmentFindings)


class CountyBriefing(Builder):
    identifier = "county_briefing"
    title = "迎评情况汇报材料"
    document_title = "巩固脱贫成果后评估迎评情况汇报材料"
    scope = "county"
    audience = "county"
    # Overdue work covers evidence, task assignments and screening flags in one chapter.
    sections = (
        s.CountyFigures, s.Readiness, s.TopRisks, s.OverdueWork, tk.FindingsStatus, nt.CountyReconciliation,
        iv.LeaderInterviewCards,
        s.MonitoredHouseholds, s.EvidenceChecklist,
    )
