-- Each subscription request counts the requests stored in the last hour (the page's limit
-- on confirmation emails): by their time, so the count reads only that hour's rows.
CREATE INDEX status_subscribers_created ON status_subscribers (created_ms);
