SELECT * FROM items -- comment
 ORDER BY /* x */ rank