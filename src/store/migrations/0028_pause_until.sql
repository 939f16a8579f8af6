-- A pause by hand (`grove-jobs pause`, POST /api/jobs/{id}/pause) keeps the schedule switched
-- on; no slot runs while it lasts. `paused_until` null: until resumed; otherwise the pause ends
-- by itself at that instant. `paused_by`: the actor who paused (grove-jobs for the pause after
-- consecutive failures).
alter table schedule_state add column paused_until timestamptz;
alter table schedule_state add column paused_by text;

-- Pauses recorded before this were all pauses after consecutive failures.
update schedule_state set paused_by = 'grove-jobs' where paused_at is not null;
