DROP INDEX tickets_open_site;
