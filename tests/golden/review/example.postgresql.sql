-- schemadiff review of 2 revisions in 1c2d:9a8b for postgresql: 4 changes in 2 tables, 2 hazards (1 locking, 1 may-fail)

-- Revision 1c2d3e4f5a6b: create author and book

CREATE TABLE author (
	id SERIAL NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	email VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_author PRIMARY KEY (id), 
	CONSTRAINT uq_author_email UNIQUE (email)
);

CREATE INDEX ix_author_name ON author (name);

CREATE TABLE book (
	id SERIAL NOT NULL, 
	author_id INTEGER NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	price NUMERIC(8, 2) DEFAULT '0' NOT NULL, 
	published_at TIMESTAMP WITHOUT TIME ZONE DEFAULT CURRENT_TIMESTAMP, 
	CONSTRAINT pk_book PRIMARY KEY (id), 
	CONSTRAINT ck_book_price_not_negative CHECK (price >= 0), 
	CONSTRAINT fk_book_author_id_author FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
);

CREATE INDEX ix_book_author_id ON book (author_id);

-- Revision 9a8b7c6d5e4f: add isbn to book

ALTER TABLE book ADD COLUMN isbn VARCHAR(13);

-- hazard(may-fail/new-unique): adds unique uq_book_isbn on book: fails if rows repeat a key
-- hazard(locking/index-lock): builds an index on book without CONCURRENTLY: postgresql blocks writes to it meanwhile
ALTER TABLE book ADD CONSTRAINT uq_book_isbn UNIQUE (isbn);
