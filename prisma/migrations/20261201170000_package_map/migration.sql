-- Scopes and routes that need a package (docs/control.md#package-map). A column of
-- org_controls, so the table's existing trigger already NOTIFYs the control cache on change.
ALTER TABLE "org_controls" ADD COLUMN "package_map" JSONB NOT NULL DEFAULT '{}'::jsonb;
