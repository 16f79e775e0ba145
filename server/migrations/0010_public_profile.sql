-- 0010: the agency's public profile and documents (R-PRE-1..4). Reserved; filled by the portal work.
SELECT 1;
