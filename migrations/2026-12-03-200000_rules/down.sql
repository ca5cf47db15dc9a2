DROP INDEX tickets_one_open_per_rule;
ALTER TABLE tickets DROP COLUMN rule_id, DROP COLUMN occurrences, DROP COLUMN last_occurred_at;
DROP TABLE rule_device_states;
DROP TABLE rule_states;
DROP TABLE rules;
