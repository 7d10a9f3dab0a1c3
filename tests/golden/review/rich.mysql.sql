-- schemadiff review of 1 revision in base:head for mysql: 7 changes in 7 tables

-- Revision 0123456789ab: create the rich models

CREATE TABLE region (
	country VARCHAR(2) NOT NULL, 
	code VARCHAR(8) NOT NULL, 
	label VARCHAR(100) NOT NULL, 
	PRIMARY KEY (country, code)
);

CREATE TABLE customer (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	email VARCHAR(120) NOT NULL, 
	name VARCHAR(80) NOT NULL COMMENT 'display name', 
	active BOOL NOT NULL DEFAULT true, 
	tier VARCHAR(10) NOT NULL DEFAULT 'basic', 
	credit DECIMAL(12, 2) NOT NULL DEFAULT 0, 
	created_at DATETIME NOT NULL DEFAULT (now()), 
	referrer_id INTEGER, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_customer_email UNIQUE (email), 
	CONSTRAINT credit_positive CHECK (credit >= 0), 
	CONSTRAINT fk_customer_referrer_id_customer FOREIGN KEY(referrer_id) REFERENCES customer (id) ON DELETE SET NULL
)COMMENT='people who buy things';

CREATE INDEX ix_customer_name ON customer (name);

CREATE TABLE address (
	id BIGINT NOT NULL AUTO_INCREMENT, 
	customer_id INTEGER NOT NULL, 
	country VARCHAR(2) NOT NULL, 
	region_code VARCHAR(8) NOT NULL, 
	line1 VARCHAR(200) NOT NULL, 
	postcode VARCHAR(12), 
	PRIMARY KEY (id), 
	CONSTRAINT uq_address_customer_id UNIQUE (customer_id, line1, postcode), 
	CONSTRAINT fk_address_country_region FOREIGN KEY(country, region_code) REFERENCES region (country, code), 
	CONSTRAINT fk_address_customer_id_customer FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE ON UPDATE CASCADE
);

CREATE INDEX ix_address_place ON address (country, region_code, postcode);

CREATE TABLE audit_log (
	happened_at DATETIME NOT NULL DEFAULT (now()), 
	customer_id INTEGER, 
	message VARCHAR(200) NOT NULL, 
	CONSTRAINT fk_audit_log_customer_id_customer FOREIGN KEY(customer_id) REFERENCES customer (id) ON DELETE CASCADE
);

CREATE TABLE `order` (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	customer_id INTEGER NOT NULL, 
	status VARCHAR(16) NOT NULL DEFAULT 'new', 
	placed_at DATETIME, 
	note VARCHAR(200) COMMENT 'free text from the buyer', 
	PRIMARY KEY (id), 
	CONSTRAINT status_known CHECK (status IN ('new', 'paid', 'shipped')), 
	CONSTRAINT fk_order_customer_id_customer FOREIGN KEY(customer_id) REFERENCES customer (id)
);

CREATE INDEX ix_order_customer_id ON `order` (customer_id);

CREATE TABLE product (
	id INTEGER NOT NULL AUTO_INCREMENT, 
	sku VARCHAR(32) NOT NULL, 
	title VARCHAR(200) NOT NULL, 
	body TEXT, 
	price DECIMAL(10, 2) NOT NULL, 
	weight FLOAT, 
	stock SMALLINT NOT NULL DEFAULT 0, 
	released DATE, 
	cutoff TIME, 
	image BLOB, 
	price_with_tax DECIMAL(12, 2) GENERATED ALWAYS AS (price * 1.2) STORED, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_product_sku UNIQUE (sku), 
	CHECK (stock >= 0), 
	CONSTRAINT price_positive CHECK (price > 0)
);

CREATE INDEX ix_product_released_desc ON product (released DESC);

CREATE TABLE order_line (
	order_id INTEGER NOT NULL, 
	line_no INTEGER NOT NULL, 
	product_id INTEGER NOT NULL, 
	quantity INTEGER NOT NULL DEFAULT 1, 
	PRIMARY KEY (order_id, line_no), 
	CONSTRAINT ix_order_line_product_quantity UNIQUE (product_id, quantity), 
	CONSTRAINT quantity_range CHECK (quantity BETWEEN 1 AND 1000), 
	CONSTRAINT fk_order_line_order_id_order FOREIGN KEY(order_id) REFERENCES `order` (id) ON DELETE CASCADE, 
	CONSTRAINT fk_order_line_product_id_product FOREIGN KEY(product_id) REFERENCES product (id)
);
