"""Results for people: the campaign report as rich tables and one PNG figure, and the export archive.

The numbers come from `scheduler.reports` (the report) and `scheduler.report_records` (the export's rows);
this package only renders and packs them. matplotlib is imported lazily, only when a PNG is asked for.
"""
