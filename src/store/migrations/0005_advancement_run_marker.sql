-- The execution that last moved each sprout by an advancement rule (null: never).
--
-- A batch run pages through (model, tier, id) and passes over sprouts an execution of its own
-- run already moved, so reaching a tier after sprouts moved into it cannot move them twice.
-- Read from the sprout row itself, that check costs nothing per row; a probe into
-- advancement_events would be planned from that table's statistics, and a plan made while the
-- table was empty (a new store, prepared once per connection) scans it for every sprout.
alter table sprouts add column last_advanced_by uuid;
