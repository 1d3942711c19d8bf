"""Quality inspection of every call (智能质检): rules as data (rules/inspection.yaml), evaluated over one
call's record (`scheduler.inspection.CallFacts`) into findings and a score."""
