-- schemadiff review of 2 revisions in 1c2d:9a8b for sqlite: 4 changes in 2 tables, 2 hazards (1 table-rewrite, 1 may-fail)

-- Revision 1c2d3e4f5a6b: create author and book

CREATE TABLE author (
	id INTEGER NOT NULL, 
	name VARCHAR(100) NOT NULL, 
	email VARCHAR(200) NOT NULL, 
	CONSTRAINT pk_author PRIMARY KEY (id), 
	CONSTRAINT uq_author_email UNIQUE (email)
);

CREATE INDEX ix_author_name ON author (name);

CREATE TABLE book (
	id INTEGER NOT NULL, 
	author_id INTEGER NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	price NUMERIC(8, 2) DEFAULT '0' NOT NULL, 
	published_at DATETIME DEFAULT CURRENT_TIMESTAMP, 
	CONSTRAINT pk_book PRIMARY KEY (id), 
	CONSTRAINT ck_book_price_not_negative CHECK (price >= 0), 
	CONSTRAINT fk_book_author_id_author FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
);

CREATE INDEX ix_book_author_id ON book (author_id);

-- Revision 9a8b7c6d5e4f: add isbn to book

ALTER TABLE book ADD COLUMN isbn VARCHAR(13);

-- hazard(may-fail/new-unique): adds unique uq_book_isbn on book: fails if rows repeat a key
-- hazard(table-rewrite/sqlite-rebuild): rebuilds table book: SQLite copies every row into a new table
CREATE TABLE _schemadiff_tmp_book (
	id INTEGER NOT NULL, 
	author_id INTEGER NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	price NUMERIC(8, 2) DEFAULT '0' NOT NULL, 
	published_at DATETIME DEFAULT CURRENT_TIMESTAMP, 
	isbn VARCHAR(13), 
	CONSTRAINT pk_book PRIMARY KEY (id), 
	CONSTRAINT uq_book_isbn UNIQUE (isbn), 
	CONSTRAINT ck_book_price_not_negative CHECK (price >= 0), 
	CONSTRAINT fk_book_author_id_author FOREIGN KEY(author_id) REFERENCES author (id) ON DELETE CASCADE
);

INSERT INTO _schemadiff_tmp_book (id, author_id, title, price, published_at, isbn) SELECT id, author_id, title, price, published_at, isbn FROM book;

DROP TABLE book;

PRAGMA legacy_alter_table = ON;

ALTER TABLE _schemadiff_tmp_book RENAME TO book;

PRAGMA legacy_alter_table = OFF;

CREATE INDEX ix_book_author_id ON book (author_id);
