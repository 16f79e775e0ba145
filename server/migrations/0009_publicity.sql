-- 0009: publication of decisions (R-POST-1..7). Reserved; filled by the portal work.
SELECT 1;
