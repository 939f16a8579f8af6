-- Who set each field of a config last (domain/config/apply.ts FieldOwners: leaf path →
-- manager, actor, time, version): a declaration's apply takes only the fields that are its own
-- or nobody's, and reports the others as conflicts. Configs stored before this have none
-- recorded; apply falls back to what it remembered in config_applied for them.
alter table job_configs add column owners jsonb not null default '{}'::jsonb;

-- A version's note from whoever stored it (`grove-jobs apply --message`, fields taken back by force).
alter table job_config_versions add column message text;
