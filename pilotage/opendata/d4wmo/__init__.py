"""Data4Wallonia interoperability: Pilotage's public records in the D4WMO-AP model
(Digital Wallonia's data model, standards/d4wmo-ap-asis-1.0.0/), and back.

Exported: the top nodes of public strategies as d4w:Ambition, the nodes below as
d4w:Program, public actions as d4w:ActionPlan with their organisations' roles
(d4w:ActionPlanProfile) and annual budgets (d4w:AnnualBudget), organisations as
d4w:Profile, events as d4w:Event, and persons as d4w:Person only when they agreed to be
shown. Never an e-mail address of a person: where the profile asks for a contact
(d4w:plateformContactPerson), it is the platform's own desk (PILOTAGE_CONTACT_EMAIL).
What D4WMO-AP has no words for, and an import needs to recreate the records, is said in
standard vocabularies (the profile's shapes are open): a strategy as a prov:Plan (its
period as dcterms:temporal, its owner as dcterms:publisher, its status as adms:status,
its predecessor as dcterms:replaces), its levels as SKOS concepts, where a node sits
(dcterms:isPartOf, dcterms:type for its level, schema:position for its rank), an action's
status and own dates, a partner's role (dcterms:description on the link).

Imported: all of that, matched by identifiers and written through the apps' services
(the back-office's validation, permissions and audit), all or nothing. Pilotage's own
export imports into an empty database as the records it came from, and again changing
nothing; Digital Wallonia's own example file imports, and its records export again with
the same facts. Not carried: texts in other languages than French, a node's values, the
weights; nor budget lines, which annual budgets are only
checked against (a line needs a source and a flow).
"""

from pilotage.opendata.d4wmo.export import d4wmo_export, d4wmo_graph
from pilotage.opendata.d4wmo.imports import D4wmoError, d4wmo_import
from pilotage.opendata.d4wmo.vocabulary import D4W

__all__ = ["D4W", "D4wmoError", "d4wmo_export", "d4wmo_graph", "d4wmo_import"]
