; Definitions and imports for the repository index (see cache/index/extract.py for capture names).
(function_item name: (identifier) @name) @definition.function
(function_signature_item name: (identifier) @name) @definition.function
(struct_item name: (type_identifier) @name) @definition.type
(enum_item name: (type_identifier) @name) @definition.type
(type_item name: (type_identifier) @name) @definition.type
(trait_item name: (type_identifier) @name) @definition.class
(impl_item type: (_) @name) @definition.impl
(const_item name: (identifier) @name) @definition.variable
(static_item name: (identifier) @name) @definition.variable
(use_declaration) @import
