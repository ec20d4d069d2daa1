-- Tuning exceptions: a user name without a domain (`svc_backup`) used to match that user in every domain,
-- including local accounts of any computer (`WKS42\svc_backup`). It now matches only a user without a domain,
-- and "any domain" is written `*\svc_backup`. Stored exceptions keep their meaning: their bare user names are
-- rewritten to the explicit form, each change audited. (Reference-set conditions are not touched.)
INSERT INTO audit (at_ms, actor, action, target, detail_json)
    SELECT CAST(strftime('%s', 'now') AS INTEGER) * 1000, 'migration 0006', 'exception.migrate', 'exception:' || e.id,
           json_object('note', 'user names without a domain now say *\user (any domain or none): same meaning, said explicitly',
                       'before', json(e.conditions_json))
    FROM exceptions AS e
    WHERE EXISTS (SELECT 1 FROM json_each(e.conditions_json) AS c
                  WHERE json_extract(c.value, '$.field') = 'username'
                    AND instr(json_extract(c.value, '$.value'), char(92)) = 0);
UPDATE exceptions SET conditions_json = (
        SELECT json_group_array(CASE
            WHEN json_extract(c.value, '$.field') = 'username' AND instr(json_extract(c.value, '$.value'), char(92)) = 0
            THEN json_set(c.value, '$.value', '*' || char(92) || json_extract(c.value, '$.value'))
            ELSE json(c.value) END)
        FROM json_each(exceptions.conditions_json) AS c)
    WHERE EXISTS (SELECT 1 FROM json_each(exceptions.conditions_json) AS c
                  WHERE json_extract(c.value, '$.field') = 'username'
                    AND instr(json_extract(c.value, '$.value'), char(92)) = 0)
