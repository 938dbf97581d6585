; Definitions and imports for the repository index (see cache/index/extract.py for capture names).
(class_declaration name: (identifier) @name) @definition.class
(interface_declaration name: (identifier) @name) @definition.class
(enum_declaration name: (identifier) @name) @definition.class
(record_declaration name: (identifier) @name) @definition.class
(method_declaration name: (identifier) @name) @definition.method
(constructor_declaration name: (identifier) @name) @definition.method
(field_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
(import_declaration) @import
(enum_constant name: (identifier) @name) @definition.field
(constant_declaration declarator: (variable_declarator name: (identifier) @name)) @definition.field
