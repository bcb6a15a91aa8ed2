"""The dossier kinds built from sections: village, department, county briefing pack."""

from evalprep.dossiers.builders import sections as s
from evalprep.dossiers.builders.base import Builder


class VillageDossier(Builder):
    identifier = "village_dossier"
    title = "迎评档案"
    document_title = "巩固脱贫成果后评估迎评档案"
    scope = "village"
    # Reconciliation, interview answers and open tasks/findings join here when their modules land.
    sections = (s.VillageBasics, s.RosterSummary, s.MonitoredHouseholds, s.ScreeningFlags, s.EvidenceChecklist)


class DepartmentDossier(Builder):
    identifier = "department_dossier"
    title = "迎评档案"
    document_title = "行业部门迎评档案"
    scope = "department"
    # Assignments and deliverables, interview answers and sign-offs, findings join here when their modules land.
    sections = (s.DepartmentBasics, s.EvidenceChecklist)


class CountyBriefing(Builder):
    identifier = "county_briefing"
    title = "迎评情况汇报材料"
    document_title = "巩固脱贫成果后评估迎评情况汇报材料"
    scope = "county"
    audience = "county"
    # Findings status and the leaders' interview cards join here when their modules land.
    sections = (s.CountyFigures, s.Readiness, s.TopRisks, s.OverdueWork, s.MonitoredHouseholds, s.EvidenceChecklist)
