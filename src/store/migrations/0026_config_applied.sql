-- What each declaration (configs declared in code, or applied from files) stated at its last
-- apply, per config and manager: the base of the three-way merge in domain/config/apply.ts.
-- Secret fields are remembered as fingerprints, never as values. Goes with its config.
create table config_applied (
  config_id text not null references job_configs (id) on delete cascade,
  manager text not null,
  stated jsonb not null,
  applied_at timestamptz not null,
  primary key (config_id, manager)
);
