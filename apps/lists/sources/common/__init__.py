"""What the parsers share, one concern per module: errors, entry (ParsedEntry and merging), files (sniffing,
decoding, tails), csv_rows, xmlfiles, jsonfiles, text, dates, countries, identifiers. ``apps.lists.sources.base``
re-exports them all."""
