; Definitions and includes for the repository index (see cache/index/extract.py for capture names).
(function_declarator declarator: [(identifier) (field_identifier) (qualified_identifier)] @name) @definition.function
(class_specifier name: (type_identifier) @name body: (_)) @definition.class
(struct_specifier name: (type_identifier) @name body: (_)) @definition.class
(enum_specifier name: (type_identifier) @name body: (_)) @definition.type
(type_definition declarator: (type_identifier) @name) @definition.type
(alias_declaration name: (type_identifier) @name) @definition.type
(field_declaration declarator: (field_identifier) @name) @definition.field
(preproc_def name: (identifier) @name) @definition.variable
(preproc_function_def name: (identifier) @name) @definition.function
(preproc_include) @import
