DROP TABLE meter_readings;
