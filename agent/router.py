"""Route: which department leads, which assist, and the duty clauses that justify each.

Three kinds of evidence are fused per department: the default owners of the likely categories
(weighted by their probabilities), retrieval over every duty clause, and the place's jurisdiction
(the street office where the category needs the 属地). Near-ties and places on a street boundary
become joint handling instead of a guess."""

from __future__ import annotations

import numpy as np

from core.messages import message
from core.settings import RouterSettings
from core.types import (
    Classification,
    ClauseRef,
    DepartmentAssignment,
    Place,
    PlaceRef,
    RankedDepartment,
    Routing,
)
from knowledge.duty_index import DutyIndex
from knowledge.loader import KnowledgeBase


class Router:
    def __init__(self, kb: KnowledgeBase, index: DutyIndex, settings: RouterSettings | None = None) -> None:
        self.kb, self.index = kb, index
        self.settings = settings or RouterSettings()

    def warm_up(self) -> None:
        self.index.warm_up()

    def run(self, tokens: list[str], vector: np.ndarray, classification: Classification,
            place: Place) -> Routing:
        s, kb = self.settings, self.kb
        local = kb.policy.local_office_department
        clause_scores = self.index.scores(tokens, vector)
        retrieval = self.index.department_scores(clause_scores)
        top_retrieval = max(retrieval.values()) or 1.0
        lead_prior, assist_prior = self._category_priors(classification)
        score = {
            d: s.category_weight * lead_prior[d] + s.retrieval_weight * retrieval[d] / top_retrieval
            for d in kb.departments
        }
        ranking = sorted(score, key=lambda d: -score[d])
        lead_ids = [ranking[0]]
        reasons = []
        runner_up = ranking[1]
        if (score[ranking[0]] - score[runner_up] <= s.joint_margin
                and lead_prior[runner_up] >= s.joint_min_prior):
            lead_ids.append(runner_up)
            reasons.append(message("route.joint_departments", first=kb.departments[ranking[0]].name,
                                   second=kb.departments[runner_up].name, margin=s.joint_margin))
        top_leaf = kb.leaves[classification.category.id]
        assist_ids: list[str] = [d for d in top_leaf.assist if d not in lead_ids]
        if top_leaf.local_office == "assist" and local not in lead_ids and local not in assist_ids:
            assist_ids.append(local)
        for d in ranking[1:]:
            if d in lead_ids or d in assist_ids:
                continue
            if retrieval[d] / top_retrieval >= s.assist_retrieval and lead_prior[d] + assist_prior[d] > 0.05:
                assist_ids.append(d)
        assist_ids = assist_ids[: s.max_assist]

        streets = self._jurisdiction_streets(place)
        joint = len(lead_ids) > 1
        departments: list[DepartmentAssignment] = []
        for role, ids in (("lead", lead_ids), ("assist", assist_ids)):
            for d in ids:
                units = streets if d == local and streets else [None]
                if d == local and len(units) > 1 and role == "lead":
                    joint = True
                    reasons.append(message("route.joint_boundary", streets="、".join(u.name for u in units if u)))
                clauses = self.justifying_clauses(d, classification, clause_scores, 2 if role == "lead" else 1)
                for unit in units:
                    departments.append(self._assignment(d, role, score[d], clauses, unit,
                                                        lead_prior[d], retrieval[d], place))
        return Routing(
            departments=tuple(departments),
            ranking=tuple(RankedDepartment(id=d, score=round(score[d], 4),
                                           clauses=self.index.top_clauses(clause_scores, d))
                          for d in ranking[:5]),
            joint=joint,
            reasons=tuple(reasons) or (message("route.by_category", category=top_leaf.name),),
        )

    def _category_priors(self, classification: Classification) -> tuple[dict[str, float], dict[str, float]]:
        """How much the likely categories, weighted by their probabilities, name each department to
        lead and to assist."""
        kb, local = self.kb, self.kb.policy.local_office_department
        lead_prior: dict[str, float] = dict.fromkeys(kb.departments, 0.0)
        assist_prior: dict[str, float] = dict.fromkeys(kb.departments, 0.0)
        for alt in classification.alternatives:
            leaf = kb.leaves[alt.category.id]
            for d in leaf.lead:
                lead_prior[d] += alt.probability / len(leaf.lead)
            if leaf.local_office == "lead" and local not in leaf.lead:
                lead_prior[local] += alt.probability
            for d in leaf.assist:
                assist_prior[d] += alt.probability
        return lead_prior, assist_prior

    def justifying_clauses(self, department_id: str, classification: Classification, clause_scores: np.ndarray,
                           k: int) -> tuple[ClauseRef, ...]:
        """The duty clauses that justify `department_id` handling this report: the clauses the most
        likely category that names it lists for it (best matching first); otherwise the department's
        best matching clause, when its score shows evidence."""
        for alt in classification.alternatives:
            leaf = self.kb.leaves[alt.category.id]
            own = [c for c in leaf.clauses if self.kb.clause_department[c] == department_id]
            if own:
                ranked = sorted(own, key=lambda c: -clause_scores[self.index.position(c)])
                return tuple(ClauseRef(id=c, text=self.kb.clauses[c].text,
                                       score=round(float(clause_scores[self.index.position(c)]), 4))
                             for c in ranked[:k])
        return tuple(c for c in self.index.top_clauses(clause_scores, department_id, 1)
                     if c.score >= self.settings.clause_evidence)

    def _jurisdiction_streets(self, place: Place) -> list[PlaceRef]:
        if place.street:
            return [place.street]
        return list(place.street_candidates)

    def _assignment(self, department_id: str, role: str, score: float, clauses: tuple[ClauseRef, ...],
                    unit: PlaceRef | None, prior: float, retrieval: float, place: Place) -> DepartmentAssignment:
        dept = self.kb.departments[department_id]
        name = dept.name
        if department_id == self.kb.policy.local_office_department:
            if unit is not None:
                district = self.kb.districts[self.kb.streets[unit.id].district].name
                name = f"{district}{unit.name}办事处"
            elif place.district:
                name = f"{place.district.name}（属地街道办事处待定）"
        return DepartmentAssignment(
            id=department_id,
            name=name,
            role="lead" if role == "lead" else "assist",
            score=round(score, 4),
            clauses=clauses,
            jurisdiction=unit,
            reason=message("route.department", weight=f"{prior:.2f}", match=f"{retrieval:.2f}"),
        )
