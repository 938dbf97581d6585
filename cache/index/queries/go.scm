; Definitions and imports for the repository index (see cache/index/extract.py for capture names).
(function_declaration name: (identifier) @name) @definition.function
(method_declaration name: (field_identifier) @name) @definition.method
(type_spec name: (type_identifier) @name) @definition.type
(source_file (const_declaration (const_spec name: (identifier) @name)) @definition.variable)
(source_file (var_declaration (var_spec name: (identifier) @name)) @definition.variable)
(import_declaration) @import
