"""The SPA's other pages (../shared/SPA.md): its search box, knowledge-graph page, advanced analytics and the
dashboard panels, served through the same services and selectors as the rest of the API, in the shapes the SPA
reads. agents/ orchestrates; these modules only reshape what other apps' services and selectors return."""
