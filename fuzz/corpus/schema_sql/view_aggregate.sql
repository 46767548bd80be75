CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT, amount NUMERIC(10,2));
CREATE VIEW region_totals AS
SELECT region, SUM(amount) AS total, COUNT(*) AS n
FROM sales
GROUP BY region
HAVING COUNT(*) > 0;
