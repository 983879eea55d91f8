-- A database made by sigopt_like 0.1.0 (commit 5dfe3e8), dumped with sqlite3 iterdump: a
-- simulated campaign, an analytics CSV, a SigOpt experiment, a user (old@example.com,
-- password "old password") and the token below, and one idempotency key (old-key-1).
-- user old@example.com / password 'old password' / token qxCgy6VFQpkjDqOkAZTkmnAYs9vBSEjUvVyBq_UYAhs
BEGIN TRANSACTION;
CREATE TABLE analytics_files (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	gen INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	content_type VARCHAR(100) NOT NULL, 
	data BLOB NOT NULL, 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_analytics_session_gen_name UNIQUE (session_id, gen, name), 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
INSERT INTO "analytics_files" VALUES(5,1,3,'summary.csv','text/csv',X'67656E2C6E2C6E5F776974685F726573706F6E73652C626573742C6D65616E2C73642C626573745F736F5F6661720A312C32342C32342C312E34373037312C302E3535363731342C302E3339373439312C312E34373037310A322C32342C32342C312E393031342C312E30313039382C302E3636373136342C312E393031340A332C32342C302C2C2C2C312E393031340A',1796189476);
INSERT INTO "analytics_files" VALUES(6,1,3,'parameter_summary.csv','text/csv',X'706172616D657465722C6C6576656C2C6E2C6E5F776974685F726573706F6E73652C6D65616E2C626573740A612C302C382C382C302E3435343935342C302E3739353330380A612C312C34382C32362C312E31353538322C312E393031340A612C322C31362C31342C302E3238303936392C302E3737313037340A622C302C362C362C302E3236393336362C302E3333333931350A622C312C31362C382C302E3630303733312C302E3933303138330A622C322C33302C32382C312E30363438312C312E393031340A622C332C32302C362C302E3233313334322C302E3437313839380A632C312E352C32302C31342C302E3632313931352C312E35353634310A632C322E352C32302C31322C312E30393339362C312E393031340A632C332E352C32302C31322C302E3933353037382C312E36373931390A632C342E352C31322C31302C302E3435363933332C302E3739383231340A642C782C31362C31362C302E3437393634382C302E3930363736330A642C792C31322C31302C302E3435313836312C302E3933303138330A642C7A2C32342C31322C312E31303034382C312E393031340A642C772C32302C31302C312E32323235392C312E38333338330A',1796189476);
CREATE TABLE experiment_rows (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	gen INTEGER NOT NULL, 
	seq INTEGER NOT NULL, 
	kind VARCHAR(20) NOT NULL, 
	designed BOOLEAN NOT NULL, 
	point TEXT NOT NULL, 
	response FLOAT, 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
INSERT INTO "experiment_rows" VALUES(1,1,1,1,'designed',1,'[0.0, 3.0, 3.5, "y"]',0.13965,1796189469);
INSERT INTO "experiment_rows" VALUES(2,1,1,2,'designed',1,'[0.0, 3.0, 3.5, "y"]',0.13965,1796189469);
INSERT INTO "experiment_rows" VALUES(3,1,1,3,'designed',1,'[2.0, 1.0, 2.5, "z"]',0.771074,1796189469);
INSERT INTO "experiment_rows" VALUES(4,1,1,4,'designed',1,'[0.0, 2.0, 3.5, "w"]',0.795308,1796189469);
INSERT INTO "experiment_rows" VALUES(5,1,1,5,'designed',1,'[1.0, 0.0, 4.5, "x"]',0.248682,1796189469);
INSERT INTO "experiment_rows" VALUES(6,1,1,6,'designed',1,'[0.0, 3.0, 1.5, "z"]',0.471898,1796189469);
INSERT INTO "experiment_rows" VALUES(7,1,1,7,'designed',1,'[2.0, 3.0, 1.5, "x"]',0.082477,1796189469);
INSERT INTO "experiment_rows" VALUES(8,1,1,8,'designed',1,'[0.0, 1.0, 3.5, "x"]',0.412958,1796189469);
INSERT INTO "experiment_rows" VALUES(9,1,1,9,'designed',1,'[1.0, 1.0, 2.5, "y"]',0.930183,1796189469);
INSERT INTO "experiment_rows" VALUES(10,1,1,10,'designed',1,'[2.0, 0.0, 4.5, "z"]',0.2255,1796189469);
INSERT INTO "experiment_rows" VALUES(11,1,1,11,'designed',1,'[1.0, 0.0, 4.5, "x"]',0.248682,1796189469);
INSERT INTO "experiment_rows" VALUES(12,1,1,12,'designed',1,'[1.0, 2.0, 1.5, "w"]',1.470709,1796189469);
INSERT INTO "experiment_rows" VALUES(13,1,1,13,'designed',1,'[2.0, 3.0, 1.5, "x"]',0.082477,1796189469);
INSERT INTO "experiment_rows" VALUES(14,1,1,14,'designed',1,'[1.0, 2.0, 4.5, "y"]',0.798214,1796189469);
INSERT INTO "experiment_rows" VALUES(15,1,1,15,'designed',1,'[2.0, 1.0, 2.5, "z"]',0.771074,1796189469);
INSERT INTO "experiment_rows" VALUES(16,1,1,16,'designed',1,'[2.0, 0.0, 2.5, "w"]',0.333915,1796189469);
INSERT INTO "experiment_rows" VALUES(17,1,1,17,'designed',1,'[1.0, 2.0, 1.5, "w"]',1.470709,1796189469);
INSERT INTO "experiment_rows" VALUES(18,1,1,18,'designed',1,'[0.0, 1.0, 3.5, "x"]',0.412958,1796189469);
INSERT INTO "experiment_rows" VALUES(19,1,1,19,'designed',1,'[1.0, 2.0, 4.5, "y"]',0.798214,1796189469);
INSERT INTO "experiment_rows" VALUES(20,1,1,20,'designed',1,'[1.0, 1.0, 2.5, "y"]',0.930183,1796189469);
INSERT INTO "experiment_rows" VALUES(21,1,1,21,'designed',1,'[2.0, 0.0, 4.5, "z"]',0.2255,1796189469);
INSERT INTO "experiment_rows" VALUES(22,1,1,22,'designed',1,'[2.0, 0.0, 2.5, "w"]',0.333915,1796189469);
INSERT INTO "experiment_rows" VALUES(23,1,1,23,'designed',1,'[0.0, 3.0, 1.5, "z"]',0.471898,1796189469);
INSERT INTO "experiment_rows" VALUES(24,1,1,24,'designed',1,'[0.0, 2.0, 3.5, "w"]',0.795308,1796189469);
INSERT INTO "experiment_rows" VALUES(25,1,2,1,'designed',1,'[1.0, 2.0, 3.5, "w"]',1.679195,1796189469);
INSERT INTO "experiment_rows" VALUES(26,1,2,2,'designed',1,'[2.0, 1.0, 4.5, "y"]',0.28871,1796189469);
INSERT INTO "experiment_rows" VALUES(27,1,2,3,'designed',1,'[1.0, 2.0, 1.5, "z"]',1.556411,1796189469);
INSERT INTO "experiment_rows" VALUES(28,1,2,4,'designed',1,'[1.0, 2.0, 3.5, "x"]',0.906763,1796189469);
INSERT INTO "experiment_rows" VALUES(29,1,2,5,'designed',1,'[1.0, 2.0, 2.5, "x"]',0.793373,1796189469);
INSERT INTO "experiment_rows" VALUES(30,1,2,6,'designed',1,'[2.0, 2.0, 1.5, "x"]',0.162557,1796189469);
INSERT INTO "experiment_rows" VALUES(31,1,2,7,'designed',1,'[1.0, 2.0, 2.5, "w"]',1.833826,1796189469);
INSERT INTO "experiment_rows" VALUES(32,1,2,8,'designed',1,'[1.0, 2.0, 3.5, "x"]',0.906763,1796189469);
INSERT INTO "experiment_rows" VALUES(33,1,2,9,'designed',1,'[1.0, 2.0, 3.5, "z"]',1.676595,1796189469);
INSERT INTO "experiment_rows" VALUES(34,1,2,10,'designed',1,'[1.0, 2.0, 1.5, "x"]',0.506809,1796189469);
INSERT INTO "experiment_rows" VALUES(35,1,2,11,'designed',1,'[1.0, 2.0, 2.5, "w"]',1.833826,1796189469);
INSERT INTO "experiment_rows" VALUES(36,1,2,12,'designed',1,'[2.0, 2.0, 1.5, "y"]',0.102547,1796189469);
INSERT INTO "experiment_rows" VALUES(37,1,2,13,'designed',1,'[1.0, 2.0, 3.5, "w"]',1.679195,1796189469);
INSERT INTO "experiment_rows" VALUES(38,1,2,14,'designed',1,'[1.0, 2.0, 4.5, "x"]',0.723561,1796189469);
INSERT INTO "experiment_rows" VALUES(39,1,2,15,'designed',1,'[2.0, 1.0, 4.5, "y"]',0.28871,1796189469);
INSERT INTO "experiment_rows" VALUES(40,1,2,16,'designed',1,'[1.0, 2.0, 2.5, "x"]',0.793373,1796189469);
INSERT INTO "experiment_rows" VALUES(41,1,2,17,'designed',1,'[2.0, 2.0, 1.5, "x"]',0.162557,1796189469);
INSERT INTO "experiment_rows" VALUES(42,1,2,18,'designed',1,'[1.0, 2.0, 4.5, "x"]',0.723561,1796189469);
INSERT INTO "experiment_rows" VALUES(43,1,2,19,'designed',1,'[1.0, 2.0, 1.5, "z"]',1.556411,1796189469);
INSERT INTO "experiment_rows" VALUES(44,1,2,20,'designed',1,'[2.0, 2.0, 1.5, "y"]',0.102547,1796189469);
INSERT INTO "experiment_rows" VALUES(45,1,2,21,'designed',1,'[1.0, 2.0, 2.5, "z"]',1.901403,1796189469);
INSERT INTO "experiment_rows" VALUES(46,1,2,22,'designed',1,'[1.0, 2.0, 3.5, "z"]',1.676595,1796189469);
INSERT INTO "experiment_rows" VALUES(47,1,2,23,'designed',1,'[1.0, 2.0, 1.5, "x"]',0.506809,1796189469);
INSERT INTO "experiment_rows" VALUES(48,1,2,24,'designed',1,'[1.0, 2.0, 2.5, "z"]',1.901403,1796189469);
CREATE TABLE generations (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	gen INTEGER NOT NULL, 
	design TEXT, 
	validated BOOLEAN NOT NULL, 
	has_responses BOOLEAN NOT NULL, 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_generations_session_gen UNIQUE (session_id, gen), 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
INSERT INTO "generations" VALUES(1,1,1,'{"points": [[0.0, 3.0, 3.5, "y"], [0.0, 3.0, 3.5, "y"], [2.0, 1.0, 2.5, "z"], [0.0, 2.0, 3.5, "w"], [1.0, 0.0, 4.5, "x"], [0.0, 3.0, 1.5, "z"], [2.0, 3.0, 1.5, "x"], [0.0, 1.0, 3.5, "x"], [1.0, 1.0, 2.5, "y"], [2.0, 0.0, 4.5, "z"], [1.0, 0.0, 4.5, "x"], [1.0, 2.0, 1.5, "w"], [2.0, 3.0, 1.5, "x"], [1.0, 2.0, 4.5, "y"], [2.0, 1.0, 2.5, "z"], [2.0, 0.0, 2.5, "w"], [1.0, 2.0, 1.5, "w"], [0.0, 1.0, 3.5, "x"], [1.0, 2.0, 4.5, "y"], [1.0, 1.0, 2.5, "y"], [2.0, 0.0, 4.5, "z"], [2.0, 0.0, 2.5, "w"], [0.0, 3.0, 1.5, "z"], [0.0, 2.0, 3.5, "w"]]}',1,1,1796189463);
INSERT INTO "generations" VALUES(2,1,2,'{"points": [[1.0, 2.0, 3.5, "w"], [2.0, 1.0, 4.5, "y"], [1.0, 2.0, 1.5, "z"], [1.0, 2.0, 3.5, "x"], [1.0, 2.0, 2.5, "x"], [2.0, 2.0, 1.5, "x"], [1.0, 2.0, 2.5, "w"], [1.0, 2.0, 3.5, "x"], [1.0, 2.0, 3.5, "z"], [1.0, 2.0, 1.5, "x"], [1.0, 2.0, 2.5, "w"], [2.0, 2.0, 1.5, "y"], [1.0, 2.0, 3.5, "w"], [1.0, 2.0, 4.5, "x"], [2.0, 1.0, 4.5, "y"], [1.0, 2.0, 2.5, "x"], [2.0, 2.0, 1.5, "x"], [1.0, 2.0, 4.5, "x"], [1.0, 2.0, 1.5, "z"], [2.0, 2.0, 1.5, "y"], [1.0, 2.0, 2.5, "z"], [1.0, 2.0, 3.5, "z"], [1.0, 2.0, 1.5, "x"], [1.0, 2.0, 2.5, "z"]]}',1,1,1796189463);
INSERT INTO "generations" VALUES(3,1,3,'{"points": [[1.0, 1.0, 3.5, "w"], [2.0, 3.0, 1.5, "z"], [1.0, 3.0, 3.5, "z"], [2.0, 3.0, 1.5, "z"], [1.0, 3.0, 2.5, "z"], [1.0, 3.0, 1.5, "z"], [1.0, 1.0, 2.5, "w"], [1.0, 1.0, 3.5, "w"], [1.0, 2.0, 4.5, "w"], [1.0, 3.0, 3.5, "w"], [1.0, 2.0, 4.5, "w"], [1.0, 3.0, 3.5, "w"], [1.0, 1.0, 2.5, "z"], [1.0, 3.0, 3.5, "z"], [1.0, 3.0, 2.5, "w"], [1.0, 3.0, 1.5, "z"], [1.0, 1.0, 2.5, "w"], [1.0, 3.0, 1.5, "y"], [1.0, 3.0, 1.5, "y"], [1.0, 3.0, 2.5, "z"], [1.0, 1.0, 3.5, "z"], [1.0, 1.0, 2.5, "z"], [1.0, 1.0, 3.5, "z"], [1.0, 3.0, 2.5, "w"]]}',0,0,1796189469);
CREATE TABLE idempotency_keys (
	id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	"key" VARCHAR(200) NOT NULL, 
	method VARCHAR(10) NOT NULL, 
	path TEXT NOT NULL, 
	body_hash VARCHAR(64) NOT NULL, 
	status INTEGER, 
	response TEXT, 
	content_type VARCHAR(100), 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_idempotency_owner_key UNIQUE (owner_id, "key")
);
INSERT INTO "idempotency_keys" VALUES(1,1,'old-key-1','POST','/v1/sessions','c80ded404fea90e7f0c18afb04eb446a9934e600f362d2a28096d5678d2461cf',201,'{"object": "session", "id": "1", "name": "old campaign", "description": "made by 0.1.0", "status": "active", "gen": -1, "remaining": null, "completed": false, "population_size": null, "replicates": null, "seed": 7, "created": 1796189463, "updated": 1796189463, "owner": "1"}','application/json',1796189463);
CREATE TABLE meta (
	"key" VARCHAR(64) NOT NULL, 
	value TEXT NOT NULL, 
	PRIMARY KEY ("key")
);
INSERT INTO "meta" VALUES('schema_version','1');
CREATE TABLE observations (
	id INTEGER NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	suggestion_id INTEGER, 
	assignments TEXT NOT NULL, 
	"values" TEXT NOT NULL, 
	failed BOOLEAN NOT NULL, 
	metadata TEXT, 
	created INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(experiment_id) REFERENCES sigopt_experiments (id)
);
INSERT INTO "observations" VALUES(1,1,1,'{"x":0.42644973783849205,"n":2}','[{"name":"y","value":0.0,"value_stddev":null}]',0,NULL,1796189476,1796189476);
INSERT INTO "observations" VALUES(2,1,2,'{"x":0.5568241109088882,"n":2}','[{"name":"y","value":0.1,"value_stddev":null}]',0,NULL,1796189476,1796189476);
INSERT INTO "observations" VALUES(3,1,3,'{"x":0.8700131366575433,"n":5}','[{"name":"y","value":0.2,"value_stddev":null}]',0,NULL,1796189476,1796189476);
CREATE TABLE sessions (
	id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	name VARCHAR(200) NOT NULL, 
	description TEXT NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	gen INTEGER NOT NULL, 
	remaining INTEGER, 
	completed BOOLEAN NOT NULL, 
	population_size INTEGER, 
	replicates INTEGER, 
	seed BIGINT NOT NULL, 
	space TEXT, 
	space_size TEXT, 
	created INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	CONSTRAINT uq_sessions_owner_name UNIQUE (owner_id, name), 
	FOREIGN KEY(owner_id) REFERENCES users (id)
);
INSERT INTO "sessions" VALUES(1,1,'old campaign','made by 0.1.0','active',3,13,0,12,1,7,'{"type": "factorial", "parameters": [{"name": "a", "type": "numerical", "values": [0, 1, 2]}, {"name": "b", "type": "numerical", "values": [0, 1, 2, 3]}, {"name": "c", "type": "numerical", "values": [1.5, 2.5, 3.5, 4.5]}, {"name": "d", "type": "categorical", "values": ["x", "y", "z", "w"]}]}','192',1796189463,1796189469);
INSERT INTO "sessions" VALUES(2,1,'empty one','','active',-1,NULL,0,NULL,NULL,8,NULL,NULL,1796189476,1796189476);
CREATE TABLE sigopt_experiments (
	id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	name VARCHAR(500) NOT NULL, 
	type VARCHAR(20) NOT NULL, 
	parameters TEXT NOT NULL, 
	metrics TEXT NOT NULL, 
	observation_budget INTEGER, 
	parallel_bandwidth INTEGER, 
	metadata TEXT, 
	state VARCHAR(20) NOT NULL, 
	seed BIGINT NOT NULL, 
	created INTEGER NOT NULL, 
	updated INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(owner_id) REFERENCES users (id)
);
INSERT INTO "sigopt_experiments" VALUES(1,1,'old sigopt','offline','[{"name":"x","type":"double","bounds":{"min":0.0,"max":1.0}},{"name":"n","type":"int","bounds":{"min":1,"max":5}}]','[{"name":"y","objective":"maximize","strategy":"optimize","threshold":null}]',10,1,NULL,'active',1714597192,1796189476,1796189476);
CREATE TABLE suggestions (
	id INTEGER NOT NULL, 
	experiment_id INTEGER NOT NULL, 
	assignments TEXT NOT NULL, 
	state VARCHAR(20) NOT NULL, 
	metadata TEXT, 
	deleted BOOLEAN NOT NULL, 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(experiment_id) REFERENCES sigopt_experiments (id)
);
INSERT INTO "suggestions" VALUES(1,1,'{"x":0.42644973783849205,"n":2}','closed',NULL,0,1796189476);
INSERT INTO "suggestions" VALUES(2,1,'{"x":0.5568241109088882,"n":2}','closed',NULL,0,1796189476);
INSERT INTO "suggestions" VALUES(3,1,'{"x":0.8700131366575433,"n":5}','closed',NULL,0,1796189476);
INSERT INTO "suggestions" VALUES(4,1,'{"x":0.8668412256068911,"n":3}','open',NULL,0,1796189476);
CREATE TABLE tasks (
	id INTEGER NOT NULL, 
	session_id INTEGER NOT NULL, 
	owner_id INTEGER NOT NULL, 
	type VARCHAR(20) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	phase VARCHAR(100) NOT NULL, 
	progress_fraction FLOAT NOT NULL, 
	progress_message TEXT NOT NULL, 
	params TEXT NOT NULL, 
	errors TEXT NOT NULL, 
	result TEXT, 
	cancel_requested BOOLEAN NOT NULL, 
	version INTEGER NOT NULL, 
	worker VARCHAR(100), 
	heartbeat INTEGER, 
	created INTEGER NOT NULL, 
	started INTEGER, 
	finished INTEGER, 
	PRIMARY KEY (id), 
	FOREIGN KEY(session_id) REFERENCES sessions (id)
);
INSERT INTO "tasks" VALUES(1,1,1,'simulate','success','success',1.0,'simulated 2 generations','{"ngens": 2, "space": {"type": "factorial", "parameters": [{"name": "a", "type": "numerical", "values": [0, 1, 2]}, {"name": "b", "type": "numerical", "values": [0, 1, 2, 3]}, {"name": "c", "type": "numerical", "values": [1.5, 2.5, 3.5, 4.5]}, {"name": "d", "type": "categorical", "values": ["x", "y", "z", "w"]}]}, "population_size": 12, "replicates": 1}','[]','{"history": {"object": "history", "generations": [{"gen": 0, "validated": false, "has_responses": false, "design_rows": 0, "table": {"columns": ["a", "b", "c", "d", "Response"], "rows": []}}, {"gen": 1, "validated": true, "has_responses": true, "design_rows": 24, "table": {"columns": ["a", "b", "c", "d", "Response"], "rows": [[0, 3, 3.5, "y", 0.13965], [0, 3, 3.5, "y", 0.13965], [2, 1, 2.5, "z", 0.771074], [0, 2, 3.5, "w", 0.795308], [1, 0, 4.5, "x", 0.248682], [0, 3, 1.5, "z", 0.471898], [2, 3, 1.5, "x", 0.082477], [0, 1, 3.5, "x", 0.412958], [1, 1, 2.5, "y", 0.930183], [2, 0, 4.5, "z", 0.2255], [1, 0, 4.5, "x", 0.248682], [1, 2, 1.5, "w", 1.470709], [2, 3, 1.5, "x", 0.082477], [1, 2, 4.5, "y", 0.798214], [2, 1, 2.5, "z", 0.771074], [2, 0, 2.5, "w", 0.333915], [1, 2, 1.5, "w", 1.470709], [0, 1, 3.5, "x", 0.412958], [1, 2, 4.5, "y", 0.798214], [1, 1, 2.5, "y", 0.930183], [2, 0, 4.5, "z", 0.2255], [2, 0, 2.5, "w", 0.333915], [0, 3, 1.5, "z", 0.471898], [0, 2, 3.5, "w", 0.795308]]}}, {"gen": 2, "validated": true, "has_responses": true, "design_rows": 24, "table": {"columns": ["a", "b", "c", "d", "Response"], "rows": [[1, 2, 3.5, "w", 1.679195], [2, 1, 4.5, "y", 0.28871], [1, 2, 1.5, "z", 1.556411], [1, 2, 3.5, "x", 0.906763], [1, 2, 2.5, "x", 0.793373], [2, 2, 1.5, "x", 0.162557], [1, 2, 2.5, "w", 1.833826], [1, 2, 3.5, "x", 0.906763], [1, 2, 3.5, "z", 1.676595], [1, 2, 1.5, "x", 0.506809], [1, 2, 2.5, "w", 1.833826], [2, 2, 1.5, "y", 0.102547], [1, 2, 3.5, "w", 1.679195], [1, 2, 4.5, "x", 0.723561], [2, 1, 4.5, "y", 0.28871], [1, 2, 2.5, "x", 0.793373], [2, 2, 1.5, "x", 0.162557], [1, 2, 4.5, "x", 0.723561], [1, 2, 1.5, "z", 1.556411], [2, 2, 1.5, "y", 0.102547], [1, 2, 2.5, "z", 1.901403], [1, 2, 3.5, "z", 1.676595], [1, 2, 1.5, "x", 0.506809], [1, 2, 2.5, "z", 1.901403]]}}]}, "generations_run": 2, "gen": 2, "remaining": 14, "completed": false}',0,14,'vm:7128:4fccbe7b14a7',1796189469,1796189463,1796189463,1796189469);
INSERT INTO "tasks" VALUES(2,1,1,'generate','success','success',1.0,'generation 3 designed','{}','[]','{"gen": 3, "experiments": {"columns": ["a", "b", "c", "d", "Response"], "rows": [[1, 1, 3.5, "w", null], [2, 3, 1.5, "z", null], [1, 3, 3.5, "z", null], [2, 3, 1.5, "z", null], [1, 3, 2.5, "z", null], [1, 3, 1.5, "z", null], [1, 1, 2.5, "w", null], [1, 1, 3.5, "w", null], [1, 2, 4.5, "w", null], [1, 3, 3.5, "w", null], [1, 2, 4.5, "w", null], [1, 3, 3.5, "w", null], [1, 1, 2.5, "z", null], [1, 3, 3.5, "z", null], [1, 3, 2.5, "w", null], [1, 3, 1.5, "z", null], [1, 1, 2.5, "w", null], [1, 3, 1.5, "y", null], [1, 3, 1.5, "y", null], [1, 3, 2.5, "z", null], [1, 1, 3.5, "z", null], [1, 1, 2.5, "z", null], [1, 1, 3.5, "z", null], [1, 3, 2.5, "w", null]]}, "remaining": 13, "completed": false}',0,6,'vm:7128:4fccbe7b14a7',1796189469,1796189469,1796189469,1796189469);
INSERT INTO "tasks" VALUES(3,1,1,'analytics','success','success',1.0,'6 files','{}','[]','{"gen": 3, "files": [{"object": "analytics_file", "name": "responses_by_generation.png", "gen": 3, "content_type": "image/png", "size": 31332, "url": "/v1/sessions/1/analytics/files/responses_by_generation.png?gen=3"}, {"object": "analytics_file", "name": "responses_by_generation.pdf", "gen": 3, "content_type": "application/pdf", "size": 14671, "url": "/v1/sessions/1/analytics/files/responses_by_generation.pdf?gen=3"}, {"object": "analytics_file", "name": "response_vs_parameters.png", "gen": 3, "content_type": "image/png", "size": 59753, "url": "/v1/sessions/1/analytics/files/response_vs_parameters.png?gen=3"}, {"object": "analytics_file", "name": "response_vs_parameters.pdf", "gen": 3, "content_type": "application/pdf", "size": 18299, "url": "/v1/sessions/1/analytics/files/response_vs_parameters.pdf?gen=3"}, {"object": "analytics_file", "name": "summary.csv", "gen": 3, "content_type": "text/csv", "size": 145, "url": "/v1/sessions/1/analytics/files/summary.csv?gen=3"}, {"object": "analytics_file", "name": "parameter_summary.csv", "gen": 3, "content_type": "text/csv", "size": 450, "url": "/v1/sessions/1/analytics/files/parameter_summary.csv?gen=3"}]}',0,4,'vm:7128:4fccbe7b14a7',1796189473,1796189469,1796189469,1796189476);
CREATE TABLE tokens (
	id INTEGER NOT NULL, 
	user_id INTEGER NOT NULL, 
	token_hash VARCHAR(128) NOT NULL, 
	name VARCHAR(200), 
	created INTEGER NOT NULL, 
	revoked BOOLEAN NOT NULL, 
	PRIMARY KEY (id), 
	FOREIGN KEY(user_id) REFERENCES users (id), 
	UNIQUE (token_hash)
);
INSERT INTO "tokens" VALUES(1,2,'114a9e16cf4658b352e469b175ca305374ed8e4c2d9dbcc9db85cc22fa5198b2','old token',1796189476,0);
CREATE TABLE users (
	id INTEGER NOT NULL, 
	email VARCHAR(320) NOT NULL, 
	password_hash TEXT, 
	created INTEGER NOT NULL, 
	PRIMARY KEY (id), 
	UNIQUE (email)
);
INSERT INTO "users" VALUES(1,'local@localhost',NULL,1796189462);
INSERT INTO "users" VALUES(2,'old@example.com','scrypt$16384$8$1$YW4_AhG5HY-SXEVtaYvSLw$Wt4XfVxv1OvV3cwi3lBKccsvZcOgrFKqG_jhrZwO8fs',1796189476);
CREATE INDEX ix_tasks_session_id ON tasks (session_id);
CREATE INDEX ix_experiment_rows_session_id ON experiment_rows (session_id);
CREATE INDEX ix_suggestions_experiment_id ON suggestions (experiment_id);
CREATE INDEX ix_observations_experiment_id ON observations (experiment_id);
COMMIT;
