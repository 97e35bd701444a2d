<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>Problem</name>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="11"/>
        <source>config.json is missing</source>
        <translation>缺少 config.json</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="12"/>
        <source>Copy it from the model this one was made from ({fix_from_base}).</source>
        <translation>从制作此模型所用的模型复制一份（{fix_from_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="13"/>
        <source>Unknown architecture</source>
        <translation>未知的模型架构</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="14"/>
        <source>Check config.json against the base model&apos;s, or install a transformers version that supports this model type.</source>
        <translation>对照基础模型的 config.json 检查，或安装支持此模型类型的 transformers 版本。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="15"/>
        <source>Remote code file missing</source>
        <translation>缺少远程代码文件</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="16"/>
        <source>Copy it from the base model ({fix_from_base}).</source>
        <translation>从基础模型复制一份（{fix_from_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="17"/>
        <source>Config dtype differs from the weights</source>
        <translation>配置中的数据类型与权重不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="18"/>
        <source>Set the config&apos;s dtype to what the weights are stored in ({fix}).</source>
        <translation>把配置中的数据类型改为权重实际存储的类型（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="19"/>
        <source>Tokenizer missing</source>
        <translation>缺少分词器</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="20"/>
        <source>Copy the tokenizer files from the base model ({fix_from_base}).</source>
        <translation>从基础模型复制分词器文件（{fix_from_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="21"/>
        <source>Tokenizer does not load</source>
        <translation>分词器无法加载</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="22"/>
        <source>Replace the tokenizer files with the base model&apos;s.</source>
        <translation>用基础模型的分词器文件替换。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="23"/>
        <source>Vocabulary and embeddings disagree</source>
        <translation>词表与嵌入层不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="24"/>
        <source>Use the tokenizer and config the model was trained with, or resize the embeddings and save again.</source>
        <translation>使用训练此模型时的分词器和配置，或调整嵌入层大小后重新保存。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="25"/>
        <source>Chat template missing</source>
        <translation>缺少对话模板</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="26"/>
        <source>Copy the template from the base or instruct model ({fix_from_base}).</source>
        <translation>从基础模型或指令模型复制对话模板（{fix_from_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="27"/>
        <source>No end-of-sequence token</source>
        <translation>没有结束符（EOS）</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="28"/>
        <source>Set eos_token in tokenizer_config.json (as the base model has it).</source>
        <translation>在 tokenizer_config.json 中设置 eos_token（与基础模型相同）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="29"/>
        <source>generation_config.json is missing</source>
        <translation>缺少 generation_config.json</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="30"/>
        <source>Copy it from the base model, or let {fix} write one from config.json.</source>
        <translation>从基础模型复制一份，或让{fix}根据 config.json 写一份。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="31"/>
        <source>generation_config.json is unusable</source>
        <translation>generation_config.json 无法使用</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="32"/>
        <source>Fix the value or replace the file ({fix}).</source>
        <translation>修正该值或替换此文件（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="33"/>
        <source>Sampling flags without sampling</source>
        <translation>未启用采样却设置了采样参数</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="34"/>
        <source>Remove them, or set do_sample to true if sampling was meant ({fix} removes them).</source>
        <translation>删除这些参数；如果本意是采样，则把 do_sample 设为 true（{fix}会删除它们）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="35"/>
        <source>Weight file missing</source>
        <translation>缺少权重文件</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="36"/>
        <source>Copy or download it again.</source>
        <translation>重新复制或下载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="37"/>
        <source>Weight file nothing names</source>
        <translation>没有被引用的权重文件</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="38"/>
        <source>Delete it ({fix} leaves it out).</source>
        <translation>删除它（{fix}会略过它）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="39"/>
        <source>Index and shards disagree</source>
        <translation>索引与分片不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="40"/>
        <source>Rebuild the index from the shard headers ({fix}).</source>
        <translation>根据分片文件头重建索引（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="41"/>
        <source>Damaged weight file</source>
        <translation>权重文件已损坏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="42"/>
        <source>Copy or write it again.</source>
        <translation>重新复制或重新写出。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="43"/>
        <source>Pickled weights</source>
        <translation>pickle 格式的权重</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="44"/>
        <source>Convert them to safetensors ({fix}), which also removes the pickle.</source>
        <translation>转换为 safetensors（{fix}），同时删除 pickle 文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="45"/>
        <source>Shard over the size limit</source>
        <translation>分片超过大小上限</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="46"/>
        <source>Re-shard it ({fix_reshard}).</source>
        <translation>重新分片（{fix_reshard}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="47"/>
        <source>Weights missing</source>
        <translation>缺少权重</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="48"/>
        <source>The folder is incomplete: copy the weights again, or merge again.</source>
        <translation>文件夹不完整：重新复制权重，或重新合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="49"/>
        <source>Weights the model does not use</source>
        <translation>模型用不到的权重</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="50"/>
        <source>Check config.json against the weights, or merge again from the right inputs.</source>
        <translation>对照权重检查 config.json，或用正确的输入重新合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="51"/>
        <source>Weight names unverified</source>
        <translation>权重名称未能核实</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="52"/>
        <source>transformers renames or fuses weights for this model type on load, so check by loading it.</source>
        <translation>transformers 加载此类模型时会重命名或融合权重，请实际加载一次来检查。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="53"/>
        <source>Shapes do not fit</source>
        <translation>形状不匹配</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="54"/>
        <source>Use the inputs that belong together: the base model and config the weights were trained with.</source>
        <translation>使用配套的输入：训练这些权重时的基础模型和配置。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="55"/>
        <source>Tied embeddings differ</source>
        <translation>绑定的嵌入层不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="56"/>
        <source>Set tie_word_embeddings to false ({fix}).</source>
        <translation>把 tie_word_embeddings 设为 false（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="57"/>
        <source>Projector missing</source>
        <translation>缺少投影层</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="58"/>
        <source>Point at the checkpoint of the stage that trained the projector, or copy projector/ from the training output.</source>
        <translation>请选择训练了投影层的那个阶段的检查点，或从训练输出中复制 projector/。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="59"/>
        <source>Projector does not fit</source>
        <translation>投影层不匹配</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="60"/>
        <source>Use the projector from the same training run.</source>
        <translation>使用同一次训练得到的投影层。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="61"/>
        <source>Image processor missing</source>
        <translation>缺少图像预处理配置</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="62"/>
        <source>Copy it from the visual encoder the model was trained with ({fix_from_base}).</source>
        <translation>从训练此模型时的视觉编码器复制一份（{fix_from_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="63"/>
        <source>Adapter unusable</source>
        <translation>适配器无法使用</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="64"/>
        <source>Copy the adapter again as it was saved (adapter_config.json with its weights).</source>
        <translation>按保存时的原样重新复制适配器（adapter_config.json 及其权重）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="65"/>
        <source>Modules missing from the base</source>
        <translation>基础模型缺少相应模块</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="66"/>
        <source>Choose the base model the adapter was trained on ({opt_base}).</source>
        <translation>选择训练此适配器时所用的基础模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="67"/>
        <source>Damaged training checkpoint</source>
        <translation>训练检查点已损坏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="68"/>
        <source>Use another checkpoint, or copy this one again.</source>
        <translation>换用其他检查点，或重新复制这个检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="69"/>
        <source>Damaged GGUF file</source>
        <translation>GGUF 文件已损坏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="70"/>
        <source>Copy the file again, or export it again from the model folder.</source>
        <translation>重新复制该文件，或从模型文件夹重新导出。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="71"/>
        <source>GGUF file lacks what llama.cpp needs</source>
        <translation>GGUF 文件缺少 llama.cpp 所需的内容</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="72"/>
        <source>Export it again from the model folder with its tokenizer (mergesmith export-gguf).</source>
        <translation>从带分词器的模型文件夹重新导出（mergesmith export-gguf）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="73"/>
        <source>Training configs differ</source>
        <translation>训练配置不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="74"/>
        <source>Check which config the checkpoint was trained with.</source>
        <translation>确认该检查点是用哪个配置训练的。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="75"/>
        <source>Model type not supported</source>
        <translation>不支持的模型类型</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="76"/>
        <source>Merge it with the tools of the project that trained it.</source>
        <translation>请用训练它的项目自带的工具合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="77"/>
        <source>NaN or Inf in the weights</source>
        <translation>权重中有 NaN 或 Inf</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="78"/>
        <source>The training diverged or the file is damaged: use an earlier checkpoint.</source>
        <translation>训练发散或文件已损坏：请使用更早的检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="79"/>
        <source>Merged tensor differs</source>
        <translation>合并后的张量不一致</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="80"/>
        <source>Merge again from the right inputs.</source>
        <translation>用正确的输入重新合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="81"/>
        <source>Merged model does not reproduce the adapter</source>
        <translation>合并后的模型未能复现适配器的效果</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="82"/>
        <source>Another base model</source>
        <translation>基础模型不对</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="83"/>
        <source>Choose the model it was trained on ({opt_base}).</source>
        <translation>选择训练时所用的模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="84"/>
        <source>Copy preprocessor_config.json from where the visual encoder came from.</source>
        <translation>从视觉编码器的来源处复制 preprocessor_config.json。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="85"/>
        <source>Visual encoder needed</source>
        <translation>需要视觉编码器</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="86"/>
        <source>Choose the visual encoder&apos;s folder ({opt_visual_encoder}).</source>
        <translation>选择视觉编码器的文件夹（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="87"/>
        <source>Tensors of an unknown part</source>
        <translation>属于未知部分的张量</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="88"/>
        <source>This model type is not supported yet.</source>
        <translation>暂不支持此模型类型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="89"/>
        <source>QLoRA</source>
        <translation>QLoRA</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="90"/>
        <source>Output dtype kept</source>
        <translation>保留了原数据类型</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="91"/>
        <source>Choose the other dtype as the output dtype ({opt_dtype}) to change that.</source>
        <translation>如需更改，请选择另一种输出数据类型（{opt_dtype}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="92"/>
        <source>Frozen tensors copied</source>
        <translation>已复制冻结的张量</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="93"/>
        <source>Tensors not written</source>
        <translation>未写出的张量</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="94"/>
        <source>Format does not apply</source>
        <translation>此格式不适用</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="95"/>
        <source>Leave the format at xtuner ({opt_format}).</source>
        <translation>格式保持为 xtuner（{opt_format}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="96"/>
        <source>Visual encoder not written</source>
        <translation>未写出视觉编码器</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="97"/>
        <source>Earlier output restored</source>
        <translation>已恢复之前的输出</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="98"/>
        <source>Output inside an input</source>
        <translation>输出位于输入之内</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="99"/>
        <source>Choose an output folder outside the inputs ({opt_out}).</source>
        <translation>选择输入之外的输出文件夹（{opt_out}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="100"/>
        <source>Output folder exists</source>
        <translation>输出文件夹已存在</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="101"/>
        <source>Choose another folder, or allow replacing it ({opt_overwrite}).</source>
        <translation>选择其他文件夹，或允许替换它（{opt_overwrite}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="102"/>
        <source>Output folder not writable</source>
        <translation>输出文件夹不可写</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="103"/>
        <source>Choose an output folder you can write to ({opt_out}).</source>
        <translation>选择一个可以写入的输出文件夹（{opt_out}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="104"/>
        <source>Interrupted run left a folder</source>
        <translation>中断的运行留下了文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="105"/>
        <source>Not enough disk space</source>
        <translation>磁盘空间不足</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="106"/>
        <source>Free some space or choose an output folder on another disk ({opt_out}).</source>
        <translation>腾出一些空间，或选择另一块磁盘上的输出文件夹（{opt_out}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="107"/>
        <source>Embeddings written untied</source>
        <translation>嵌入层分开写出</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="108"/>
        <source>Broken symbolic link</source>
        <translation>失效的符号链接</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="109"/>
        <source>Put the real file there (or into the output afterwards).</source>
        <translation>把真实文件放到那里（或事后放进输出文件夹）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="110"/>
        <source>float16 from a bfloat16 base</source>
        <translation>从 bfloat16 基础模型输出 float16</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="111"/>
        <source>Keep bfloat16 unless your runtime needs float16 ({opt_dtype}).</source>
        <translation>除非推理环境需要 float16，否则保持 bfloat16（{opt_dtype}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="112"/>
        <source>Base model not fully downloaded</source>
        <translation>基础模型未下载完整</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="113"/>
        <source>Finish the download to include the missing files.</source>
        <translation>请完成下载，以便包含缺少的文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="114"/>
        <source>Model card metadata unusable</source>
        <translation>模型卡元数据无法使用</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="115"/>
        <source>Correct the YAML, or remove the block.</source>
        <translation>请修正其中的 YAML，或删除这段元数据。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="116"/>
        <source>Model card metadata the Hub refuses</source>
        <translation>模型卡元数据会被 Hub 拒绝</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="117"/>
        <source>Correct the field in the metadata block of README.md.</source>
        <translation>请修正 README.md 元数据中的该字段。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="118"/>
        <source>Mergesmith cannot do this</source>
        <translation>Mergesmith 无法完成此操作</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="119"/>
        <source>Cancelled</source>
        <translation>已取消</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="120"/>
        <source>No base model</source>
        <translation>没有基础模型</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="121"/>
        <source>Base model not found</source>
        <translation>找不到基础模型</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="122"/>
        <source>Visual encoder not found</source>
        <translation>找不到视觉编码器</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="123"/>
        <source>Not a model folder</source>
        <translation>不是模型文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="124"/>
        <source>An adapter, not a base model</source>
        <translation>这是适配器，不是基础模型</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="125"/>
        <source>An adapter, not a visual encoder</source>
        <translation>这是适配器，不是视觉编码器</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="126"/>
        <source>Not a full model folder</source>
        <translation>不是完整的模型文件夹</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="127"/>
        <source>Quantized base model</source>
        <translation>基础模型是量化过的</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="128"/>
        <source>Quantized visual encoder</source>
        <translation>视觉编码器是量化过的</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="129"/>
        <source>Path not found</source>
        <translation>路径不存在</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="130"/>
        <source>Training outputs inside</source>
        <translation>其中包含训练输出</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="131"/>
        <source>A training output inside</source>
        <translation>其中包含一个训练输出</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="132"/>
        <source>Unknown layout</source>
        <translation>无法识别的目录结构</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="133"/>
        <source>Unknown file</source>
        <translation>无法识别的文件</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="134"/>
        <source>Unsafe checkpoint refused</source>
        <translation>已拒绝不安全的检查点</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="135"/>
        <source>Disk full</source>
        <translation>磁盘已满</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="136"/>
        <source>Disk quota exceeded</source>
        <translation>超出磁盘配额</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="137"/>
        <source>File too large for the file system</source>
        <translation>文件超出文件系统的大小限制</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="138"/>
        <source>There is no config.json, so no library can load this model.</source>
        <translation>没有 config.json，任何库都无法加载此模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="139"/>
        <source>There is no config.json in {folder}/, so no library can load this part.</source>
        <translation>{folder}/ 中没有 config.json，任何库都无法加载这一部分。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="140"/>
        <source>{name} cannot be parsed ({error}).</source>
        <translation>{name} 无法解析（{error}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="141"/>
        <source>Fix it or copy it from the base model.</source>
        <translation>修正它，或从基础模型复制一份。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="142"/>
        <source>This folder holds no model: no config.json, no weights, no adapter and no training checkpoints.</source>
        <translation>此文件夹中没有模型：没有 config.json、权重、适配器，也没有训练检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="143"/>
        <source>Point at the folder that holds them.</source>
        <translation>请选择包含它们的文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="144"/>
        <source>This folder holds no model: no config.json, no weights, no adapter and no training checkpoints. It holds {inside}.</source>
        <translation>此文件夹中没有模型：没有 config.json、权重、适配器，也没有训练检查点。其中包含 {inside}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="145"/>
        <source>Inspect that instead.</source>
        <translation>请改为检查那个文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="146"/>
        <source>config.json&apos;s auto_map names {name}, which is not in the folder; AutoModel(trust_remote_code=True) will fail.</source>
        <translation>config.json 的 auto_map 引用了 {name}，但文件夹中没有它；AutoModel(trust_remote_code=True) 会失败。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="147"/>
        <source>transformers {version} does not know the model type {model_type} and config.json has no auto_map to code that does; loaders may fail.</source>
        <translation>transformers {version} 不认识模型类型 {model_type}，config.json 也没有指向相应代码的 auto_map；加载可能失败。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="148"/>
        <source>Check the model_type, or install a transformers version that supports it.</source>
        <translation>检查 model_type，或安装支持它的 transformers 版本。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="149"/>
        <source>transformers cannot build the model config.json describes ({error}); loading it will fail with this transformers.</source>
        <translation>transformers 无法构建 config.json 描述的模型（{error}）；用当前的 transformers 加载会失败。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="150"/>
        <source>Check the config against the base model&apos;s.</source>
        <translation>对照基础模型的配置检查。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="151"/>
        <source>config.json says {named} but the weights are stored in {stored}; loaders that follow the config will convert them.</source>
        <translation>config.json 写的是 {named}，但权重以 {stored} 存储；按配置加载的程序会转换它们。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="152"/>
        <source>Set the config&apos;s dtype to {stored} ({fix}).</source>
        <translation>把配置中的数据类型设为 {stored}（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="153"/>
        <source>There is no generation_config.json; generate() will use transformers&apos; defaults (EOS tokens, sampling).</source>
        <translation>没有 generation_config.json；generate() 将使用 transformers 的默认值（结束符、采样）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="154"/>
        <source>generation_config.json cannot be parsed ({error}); transformers ignores it.</source>
        <translation>generation_config.json 无法解析（{error}）；transformers 会忽略它。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="155"/>
        <source>Replace it ({fix}).</source>
        <translation>替换它（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="156"/>
        <source>transformers refuses generation_config.json ({error}), so the model does not load.</source>
        <translation>transformers 拒绝了 generation_config.json（{error}），模型因此无法加载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="157"/>
        <source>generation_config.json sets {flags}, which only apply with sampling (or beam search) and are off; transformers ignores them and refuses to save this config.</source>
        <translation>generation_config.json 设置了 {flags}，这些参数只在采样（或束搜索）时生效，而它们处于关闭状态；transformers 会忽略它们，并拒绝保存此配置。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="158"/>
        <source>There are no tokenizer files (tokenizer.json, or tokenizer.model, or vocab.json + merges.txt, with tokenizer_config.json).</source>
        <translation>没有分词器文件（tokenizer.json、tokenizer.model 或 vocab.json + merges.txt，以及 tokenizer_config.json）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="159"/>
        <source>The tokenizer is incomplete: {missing} missing.</source>
        <translation>分词器不完整：缺少 {missing}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="160"/>
        <source>tokenizer_config.json cannot be parsed.</source>
        <translation>tokenizer_config.json 无法解析。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="161"/>
        <source>Replace it with the base model&apos;s.</source>
        <translation>用基础模型的文件替换它。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="162"/>
        <source>tokenizer.json cannot be parsed; the tokenizer does not load.</source>
        <translation>tokenizer.json 无法解析；分词器无法加载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="163"/>
        <source>transformers cannot load the tokenizer ({error}).</source>
        <translation>transformers 无法加载分词器（{error}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="164"/>
        <source>The tokenizer has {tokens} tokens but {embedding} has only {rows} rows; any token id from {rows} up crashes the model.</source>
        <translation>分词器有 {tokens} 个词元，但 {embedding} 只有 {rows} 行；任何不小于 {rows} 的词元 id 都会让模型崩溃。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="165"/>
        <source>Use the tokenizer the model was trained with, or resize the embeddings (model.resize_token_embeddings) and save again.</source>
        <translation>使用训练此模型时的分词器，或调整嵌入层大小（model.resize_token_embeddings）后重新保存。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="166"/>
        <source>config.json&apos;s vocab_size makes {tensor} {want}, but the weights have {have}; the model does not load.</source>
        <translation>按 config.json 的 vocab_size，{tensor} 应为 {want}，但权重是 {have}；模型无法加载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="167"/>
        <source>Set vocab_size to {rows} in config.json (it must match the embedding rows).</source>
        <translation>把 config.json 中的 vocab_size 设为 {rows}（必须与嵌入层的行数一致）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="168"/>
        <source>The tokenizer has chat tokens ({tokens}) but no chat template, so apply_chat_template and chat servers fail.</source>
        <translation>分词器有对话标记（{tokens}），却没有对话模板，apply_chat_template 和对话服务都会失败。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="169"/>
        <source>Neither the tokenizer nor the generation config names an end-of-sequence token, so generation never stops on its own.</source>
        <translation>分词器和生成配置都没有指定结束符，生成不会自行停止。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="170"/>
        <source>{name} holds pickled weights; pickles can run code when loaded and vLLM or TGI may refuse them.</source>
        <translation>{name} 中是 pickle 格式的权重；pickle 在加载时可能执行代码，vLLM 或 TGI 可能拒绝加载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="171"/>
        <source>{name} holds pickled weights beside the safetensors files; pickles can run code when loaded and vLLM or TGI may refuse them.</source>
        <translation>{name} 中是 pickle 格式的权重，与 safetensors 文件并存；pickle 在加载时可能执行代码，vLLM 或 TGI 可能拒绝加载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="172"/>
        <source>{name} holds pickled weights.</source>
        <translation>{name} 中是 pickle 格式的权重。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="173"/>
        <source>Convert it to adapter_model.safetensors ({fix}).</source>
        <translation>把它转换为 adapter_model.safetensors（{fix}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="174"/>
        <source>There are no weight files in this folder (model.safetensors or model-0000k-of-0000n.safetensors).</source>
        <translation>此文件夹中没有权重文件（model.safetensors 或 model-0000k-of-0000n.safetensors）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="175"/>
        <source>Copy them again.</source>
        <translation>重新复制它们。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="176"/>
        <source>The index puts {count} tensor(s) in {name}, which is not in the folder.</source>
        <translation>索引把 {count} 个张量放在 {name} 中，但文件夹里没有这个文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="177"/>
        <source>{name} is missing from the numbered shards (1 to {count}).</source>
        <translation>编号分片（1 到 {count}）中缺少 {name}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="178"/>
        <source>{name} is truncated: its header promises {expected} bytes but the file has {size}.</source>
        <translation>{name} 被截断：文件头声明 {expected} 字节，但文件只有 {size} 字节。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="179"/>
        <source>{name} is {extra} bytes longer than its header says, which loaders refuse (the file is damaged or was appended to).</source>
        <translation>{name} 比文件头声明的长 {extra} 字节，加载程序会拒绝它（文件已损坏或被追加了内容）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="180"/>
        <source>{name} is {size} bytes long, too short to be a safetensors file; it is truncated or empty.</source>
        <translation>{name} 只有 {size} 字节，太短，不可能是 safetensors 文件；它被截断了或是空文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="181"/>
        <source>{name} does not start with a valid safetensors header (it claims a {header}-byte header in a {size}-byte file); it is not a safetensors file or is damaged.</source>
        <translation>{name} 开头不是有效的 safetensors 文件头（在 {size} 字节的文件中声称有 {header} 字节的文件头）；它不是 safetensors 文件，或已损坏。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="182"/>
        <source>The header of {name} is not valid JSON ({error}); the file is damaged.</source>
        <translation>{name} 的文件头不是有效的 JSON（{error}）；文件已损坏。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="183"/>
        <source>{name} has overlapping tensors at {tensor}.</source>
        <translation>{name} 在 {tensor} 处有相互重叠的张量。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="184"/>
        <source>{name} has a gap between tensors at {tensor}.</source>
        <translation>{name} 在 {tensor} 处的张量之间有空隙。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="185"/>
        <source>The index and the shards disagree: {details}.</source>
        <translation>索引与分片不一致：{details}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="186"/>
        <source>{name} cannot be parsed (no weight_map).</source>
        <translation>{name} 无法解析（没有 weight_map）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="187"/>
        <source>There are {count} safetensors file(s) ({names}) but no {index}, so loaders cannot find the weights.</source>
        <translation>有 {count} 个 safetensors 文件（{names}），但没有 {index}，加载程序找不到权重。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="188"/>
        <source>{name} is not named by the index and holds nothing the other shards lack; loaders ignore it.</source>
        <translation>索引没有引用 {name}，其中也没有其他分片缺少的内容；加载程序会忽略它。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="189"/>
        <source>{name} is {size}, over the {limit} limit.</source>
        <translation>{name} 大小为 {size}，超过了 {limit} 的上限。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="190"/>
        <source>{name} holds {bad} NaN/Inf value(s) of {total}; the model will produce NaN.</source>
        <translation>{name} 的 {total} 个值中有 {bad} 个 NaN/Inf；模型会输出 NaN。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="191"/>
        <source>...and {count} more tensor(s) with NaN/Inf values.</source>
        <translation>……另有 {count} 个张量含有 NaN/Inf 值。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="192"/>
        <source>{label}: {name} holds {bad} NaN/Inf value(s); merged, it would make the layer&apos;s output NaN.</source>
        <translation>{label}：{name} 中有 {bad} 个 NaN/Inf 值；合并后会使该层输出 NaN。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="193"/>
        <source>{label}: {name} holds {bad} NaN/Inf value(s) (and {more} more tensor(s) do too); merged, it would make the layer&apos;s output NaN.</source>
        <translation>{label}：{name} 中有 {bad} 个 NaN/Inf 值（另有 {more} 个张量也有）；合并后会使该层输出 NaN。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="194"/>
        <source>The adapter is too large to check every value for NaN/Inf before merging.</source>
        <translation>适配器太大，合并前无法逐个检查 NaN/Inf。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="195"/>
        <source>After the merge, {scan_values} checks the result.</source>
        <translation>合并后，可用{scan_values}检查结果。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="196"/>
        <source>The {model} that config.json describes needs {count} tensor(s) the weights lack ({names}). Loading would leave them randomly initialised.</source>
        <translation>config.json 描述的 {model} 需要 {count} 个权重中没有的张量（{names}）。加载时它们会被随机初始化。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="197"/>
        <source>The {model} that config.json describes needs {count} tensor(s) the weights lack ({names}).</source>
        <translation>config.json 描述的 {model} 需要 {count} 个权重中没有的张量（{names}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="198"/>
        <source>The weights hold {count} tensor(s) the {model} of config.json does not use ({names}); loaders ignore them. They may belong to another architecture.</source>
        <translation>权重中有 {count} 个 config.json 所述 {model} 用不到的张量（{names}）；加载程序会忽略它们。它们可能属于另一种架构。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="199"/>
        <source>The weights hold {count} tensor(s) the {model} of config.json does not use ({names}); loaders ignore them.</source>
        <translation>权重中有 {count} 个 config.json 所述 {model} 用不到的张量（{names}）；加载程序会忽略它们。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="200"/>
        <source>{count} tensor(s) do not have the shape config.json implies: {details}. The config belongs to another model.</source>
        <translation>有 {count} 个张量的形状与 config.json 推出的不符：{details}。此配置属于另一个模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="201"/>
        <source>Use the config these weights were saved with.</source>
        <translation>使用保存这些权重时的配置。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="202"/>
        <source>config.json ties {target} to {source}, but the folder stores a different {stored}; loaders will drop it and use the embeddings, losing what training did to it.</source>
        <translation>config.json 把 {target} 绑定到 {source}，但文件夹中存有不同的 {stored}；加载程序会丢弃它而使用嵌入层，训练对它的改动就丢失了。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="203"/>
        <source>The projector does not fit: {details}. It was trained for another LLM or visual encoder.</source>
        <translation>投影层不匹配：{details}。它是为另一个 LLM 或视觉编码器训练的。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="204"/>
        <source>This LLaVA model has no preprocessor_config.json, so images cannot be prepared for it.</source>
        <translation>此 LLaVA 模型没有 preprocessor_config.json，无法为它预处理图像。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="205"/>
        <source>{part} has no preprocessor_config.json, so images cannot be prepared for it.</source>
        <translation>{part} 没有 preprocessor_config.json，无法为它预处理图像。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="206"/>
        <source>This vision model has no preprocessor_config.json, so images cannot be prepared for it.</source>
        <translation>此视觉模型没有 preprocessor_config.json，无法为它预处理图像。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="207"/>
        <source>This is a LLaVA layout ({evidence}) but there is no projector/ folder, so images cannot reach the LLM.</source>
        <translation>这是 LLaVA 的目录结构（{evidence}），但没有 projector/ 文件夹，图像无法传到 LLM。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="208"/>
        <source>Copy projector/ from the training output (XTuner&apos;s pth_to_hf writes it).</source>
        <translation>从训练输出中复制 projector/（XTuner 的 pth_to_hf 会写出它）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="209"/>
        <source>The work_dir&apos;s config {config} differs from the config stored in {checkpoint}, which trained it (the .py&apos;s value first): {details}. Mergesmith uses the checkpoint&apos;s.</source>
        <translation>work_dir 中的配置 {config} 与训练时保存在 {checkpoint} 中的配置不同（先列 .py 中的值）：{details}。Mergesmith 使用检查点中的配置。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="210"/>
        <source>If the .py was edited after training, that is expected; otherwise the checkpoint comes from another run: check the folder and the iteration.</source>
        <translation>如果 .py 是训练后修改的，这是正常的；否则检查点来自另一次训练：请检查文件夹和所选的迭代。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="211"/>
        <source>InternVL training output is not supported yet: {name} trains {model}. Mergesmith merges XTuner&apos;s SupervisedFinetune (LoRA, QLoRA, full fine-tune) and LLaVA runs.</source>
        <translation>暂不支持 InternVL 的训练输出：{name} 训练的是 {model}。Mergesmith 可以合并 XTuner 的 SupervisedFinetune（LoRA、QLoRA、全量微调）和 LLaVA 训练。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="212"/>
        <source>For InternVL use xtuner/configs/internvl/v1_5/convert_to_official.py, which XTuner ships for it.</source>
        <translation>InternVL 请使用 XTuner 自带的 xtuner/configs/internvl/v1_5/convert_to_official.py。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="213"/>
        <source>{name} is a DeepSpeed checkpoint folder without its *_model_states.pt file; the save was interrupted.</source>
        <translation>{name} 是 DeepSpeed 检查点文件夹，但缺少 *_model_states.pt 文件；保存过程被中断了。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="214"/>
        <source>Use another iteration.</source>
        <translation>请换用另一次迭代的检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="215"/>
        <source>{name} holds {part}, which is truncated or damaged; the save was interrupted.</source>
        <translation>{name} 中的 {part} 被截断或已损坏；保存过程被中断了。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="216"/>
        <source>{name} is truncated or damaged (not a complete torch checkpoint).</source>
        <translation>{name} 被截断或已损坏（不是完整的 torch 检查点）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="217"/>
        <source>The adapter has weights but no adapter_config.json.</source>
        <translation>适配器有权重，但没有 adapter_config.json。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="218"/>
        <source>Copy the config saved with it.</source>
        <translation>复制与它一同保存的配置。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="219"/>
        <source>{label} is a {peft_type} adapter; Mergesmith merges LoRA adapters (with rsLoRA, DoRA, rank/alpha patterns, embedding LoRA, lora_bias and modules_to_save).</source>
        <translation>{label} 是 {peft_type} 适配器；Mergesmith 只合并 LoRA 适配器（支持 rsLoRA、DoRA、rank/alpha pattern、嵌入层 LoRA、lora_bias 和 modules_to_save）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="220"/>
        <source>Merge it with PEFT&apos;s own merge_and_unload.</source>
        <translation>请用 PEFT 自带的 merge_and_unload 合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="221"/>
        <source>{label} holds no LoRA tensors; it is empty or not a PEFT adapter.</source>
        <translation>{label} 中没有 LoRA 张量；它是空的，或不是 PEFT 适配器。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="222"/>
        <source>{label}: module {module} has {have} but not both LoRA matrices; the adapter is incomplete.</source>
        <translation>{label}：模块 {module} 只有 {have}，没有成对的两个 LoRA 矩阵；适配器不完整。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="223"/>
        <source>{label}: {module} has rank {rank} in its tensors but {config_rank} in adapter_config.json; the config does not belong to these weights.</source>
        <translation>{label}：{module} 的张量秩为 {rank}，但 adapter_config.json 中为 {config_rank}；此配置与这些权重不配套。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="224"/>
        <source>{folder} has adapter_config.json but no adapter_model.safetensors or adapter_model.bin; the adapter weights are missing.</source>
        <translation>{folder} 中有 adapter_config.json，但没有 adapter_model.safetensors 或 adapter_model.bin；缺少适配器权重。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="225"/>
        <source>adapter_config.json is here but the adapter weights (adapter_model.safetensors) are not.</source>
        <translation>这里有 adapter_config.json，但没有适配器权重（adapter_model.safetensors）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="226"/>
        <source>{label} was trained on {named} ({theirs}), but the base model chosen, {chosen}, is {mine}.</source>
        <translation>{label} 是在 {named}（{theirs}）上训练的，但选择的基础模型 {chosen} 是 {mine}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="227"/>
        <source>{label} was trained on {named} ({theirs}), but the visual encoder chosen, {chosen}, is {mine}.</source>
        <translation>{label} 是在 {named}（{theirs}）上训练的，但选择的视觉编码器 {chosen} 是 {mine}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="228"/>
        <source>Choose the visual encoder it was trained with ({opt_visual_encoder}).</source>
        <translation>选择训练时所用的视觉编码器（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="229"/>
        <source>{label} names {named} as its base, but the base model chosen, {chosen}, is {mine}.</source>
        <translation>{label} 指定的基础模型是 {named}，但选择的基础模型 {chosen} 是 {mine}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="230"/>
        <source>If the merge fails or the model misbehaves, choose the model it was trained on ({opt_base}).</source>
        <translation>如果合并失败或模型表现异常，请选择训练时所用的模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="231"/>
        <source>{label} names {named} as its visual encoder, but the visual encoder chosen, {chosen}, is {mine}.</source>
        <translation>{label} 指定的视觉编码器是 {named}，但选择的视觉编码器 {chosen} 是 {mine}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="232"/>
        <source>If the merge fails or the model misbehaves, choose the visual encoder it was trained with ({opt_visual_encoder}).</source>
        <translation>如果合并失败或模型表现异常，请选择训练时所用的视觉编码器（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="233"/>
        <source>The adapter replaces {target} with a tensor of shape {got}, but the base has {want}.</source>
        <translation>适配器用形状为 {got} 的张量替换 {target}，但基础模型中的形状是 {want}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="234"/>
        <source>The adapter&apos;s {kind} LoRA for {module} needs a weight of shape {want}, but the base&apos;s {target} is {got} (if the vocabulary was resized, the adapter did not save it).</source>
        <translation>适配器中 {module} 的 {kind} LoRA 需要形状为 {want} 的权重，但基础模型的 {target} 是 {got}（如果词表被扩充过，适配器没有保存它）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="235"/>
        <source>The DoRA magnitude of {module} has shape {got}, expected {want}.</source>
        <translation>{module} 的 DoRA magnitude 形状为 {got}，应为 {want}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="236"/>
        <source>The adapter trains token rows {indices} of {target}, which has only {rows} rows.</source>
        <translation>适配器训练了 {target} 的第 {indices} 行，但它只有 {rows} 行。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="237"/>
        <source>The adapter was trained with lora_bias, but the base layer {module} has no bias to add it to.</source>
        <translation>适配器是用 lora_bias 训练的，但基础模型的层 {module} 没有可以加上它的 bias。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="238"/>
        <source>The adapter changes {count} tensor(s) the base model does not have ({names}).</source>
        <translation>适配器修改了 {count} 个基础模型中没有的张量（{names}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="239"/>
        <source>The adapter grows the vocabulary to {rows} rows but leaves {name} at {kept}; it did not save that layer, so its new rows are unknown.</source>
        <translation>适配器把词表扩充到 {rows} 行，但 {name} 仍是 {kept} 行；它没有保存这一层，新增的行是未知的。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="240"/>
        <source>Save the adapter with save_embedding_layers=True.</source>
        <translation>用 save_embedding_layers=True 重新保存适配器。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="241"/>
        <source>The checkpoint&apos;s {tensor} has shape {got} but the base&apos;s {target} is {want}.</source>
        <translation>检查点中 {tensor} 的形状是 {got}，但基础模型的 {target} 是 {want}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="242"/>
        <source>The checkpoint has {count} tensor(s) the base model does not have ({names}).</source>
        <translation>检查点中有 {count} 个基础模型没有的张量（{names}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="243"/>
        <source>None of the checkpoint&apos;s tensors is in the base model {name}.</source>
        <translation>检查点中的张量没有一个出现在基础模型 {name} 中。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="244"/>
        <source>The checkpoint&apos;s embeddings disagree on the vocabulary size ({sizes}).</source>
        <translation>检查点中各嵌入层的词表大小不一致（{sizes}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="245"/>
        <source>The checkpoint is damaged or from another model: use another one.</source>
        <translation>检查点已损坏或来自另一个模型：请换一个。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="246"/>
        <source>The projector outputs {got} features but the base LLM&apos;s hidden size is {want}; the base {base} is not the LLM this LLaVA was trained with.</source>
        <translation>投影层输出 {got} 维特征，但基础 LLM 的隐藏维度是 {want}；基础模型 {base} 不是训练此 LLaVA 时所用的 LLM。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="247"/>
        <source>Choose the LLM this LLaVA was trained with ({opt_base}).</source>
        <translation>选择训练此 LLaVA 时所用的 LLM（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="248"/>
        <source>The checkpoint holds {count} tensor(s) that belong to no part Mergesmith knows ({names}); writing the output would lose them.</source>
        <translation>检查点中有 {count} 个张量不属于 Mergesmith 认识的任何部分（{names}）；写出时会丢失它们。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="249"/>
        <source>{label} is a LLaVA checkpoint without projector weights; it cannot be used.</source>
        <translation>{label} 是没有投影层权重的 LLaVA 检查点，无法使用。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="250"/>
        <source>Point at the checkpoint of the stage that trained the projector.</source>
        <translation>请选择训练了投影层的那个阶段的检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="251"/>
        <source>This LLaVA checkpoint has no projector weights.</source>
        <translation>此 LLaVA 检查点没有投影层权重。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="252"/>
        <source>The visual encoder was LoRA-tuned, so its base model is needed to write it.</source>
        <translation>视觉编码器经过了 LoRA 微调，写出它需要它的基础模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="253"/>
        <source>The visual encoder was LoRA-tuned, so its base model is needed to write it. The training names {named}, which is not on this machine.</source>
        <translation>视觉编码器经过了 LoRA 微调，写出它需要它的基础模型。训练配置指定的是 {named}，但本机上没有。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="254"/>
        <source>The visual encoder was fully trained, so its base model is needed to write it.</source>
        <translation>视觉编码器经过了全量训练，写出它需要它的基础模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="255"/>
        <source>The visual encoder was fully trained, so its base model is needed to write it. The training names {named}, which is not on this machine.</source>
        <translation>视觉编码器经过了全量训练，写出它需要它的基础模型。训练配置指定的是 {named}，但本机上没有。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="256"/>
        <source>A llava-hf folder holds the vision tower, so the visual encoder&apos;s folder is needed even when it was frozen.</source>
        <translation>llava-hf 文件夹包含视觉塔，因此即使视觉编码器被冻结，也需要它的文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="257"/>
        <source>A llava-hf folder holds the vision tower, so the visual encoder&apos;s folder is needed even when it was frozen. The training names {named}, which is not on this machine.</source>
        <translation>llava-hf 文件夹包含视觉塔，因此即使视觉编码器被冻结，也需要它的文件夹。训练配置指定的是 {named}，但本机上没有。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="258"/>
        <source>Neither {folder} nor the config&apos;s image processor path has preprocessor_config.json.</source>
        <translation>{folder} 和配置中的图像处理器路径下都没有 preprocessor_config.json。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="259"/>
        <source>The visual encoder was frozen, so it is not written; use {folder} with this output (e.g. {command}).</source>
        <translation>视觉编码器被冻结，因此不会写出；请与此输出一起使用 {folder}（例如 {command}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="260"/>
        <source>The visual encoder was frozen, so it is not written; use the original visual encoder with this output (e.g. {command}).</source>
        <translation>视觉编码器被冻结，因此不会写出；请与此输出一起使用原来的视觉编码器（例如 {command}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="261"/>
        <source>{name} is written again as lm_head.weight (tie_word_embeddings false): LlavaForConditionalGeneration can only tie an embedding named embed_tokens.</source>
        <translation>{name} 会再写一份为 lm_head.weight（tie_word_embeddings 为 false）：LlavaForConditionalGeneration 只能绑定名为 embed_tokens 的嵌入层。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="262"/>
        <source>The llava-hf format applies to LLaVA training outputs only, and {name} is a {kind} ({format}).</source>
        <translation>llava-hf 格式只适用于 LLaVA 的训练输出，而 {name} 是 {kind}（{format}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="263"/>
        <source>QLoRA: the training loaded the base in {quant}; as XTuner and PEFT do, the adapter is merged into the original {dtype} weights of the base model, not into quantized ones, so the output is an ordinary {dtype} model.</source>
        <translation>QLoRA：训练时以 {quant} 加载基础模型；与 XTuner 和 PEFT 的做法一样，适配器合并到基础模型原始的 {dtype} 权重中，而不是量化后的权重，因此输出是普通的 {dtype} 模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="264"/>
        <source>The training config loads the LLM as {said} (torch_dtype), but the base model is stored in {stored}; the output keeps {stored}, as the base.</source>
        <translation>训练配置以 {said}（torch_dtype）加载 LLM，但基础模型以 {stored} 存储；输出与基础模型一样保持 {stored}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="265"/>
        <source>Choose {said} as the output dtype ({opt_dtype}) to change that.</source>
        <translation>如需更改，请把输出数据类型选为 {said}（{opt_dtype}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="266"/>
        <source>The base&apos;s config says {named} but its weights are stored in float32, so the merged model will be too (twice the size).</source>
        <translation>基础模型的配置写的是 {named}，但其权重以 float32 存储，因此合并后的模型也会是 float32（体积翻倍）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="267"/>
        <source>Choose {named} as the output dtype ({opt_dtype}) to write what the config says.</source>
        <translation>把输出数据类型选为 {named}（{opt_dtype}），按配置写出。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="268"/>
        <source>The base is bfloat16 and you asked for float16, whose range is much smaller; weights or activations may overflow.</source>
        <translation>基础模型是 bfloat16，而你选择了数值范围小得多的 float16；权重或激活值可能溢出。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="269"/>
        <source>{count} tensor(s) are not in the checkpoint (they were frozen during training) and are copied from the base model.</source>
        <translation>有 {count} 个张量不在检查点中（训练时被冻结），将从基础模型复制。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="270"/>
        <source>{count} tensor(s) of the checkpoint are not written: buffers transformers rebuilds, or an output embedding tied to the input one ({names}).</source>
        <translation>检查点中有 {count} 个张量不会写出：它们是 transformers 会重建的缓冲区，或与输入嵌入层绑定的输出嵌入层（{names}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="271"/>
        <source>The adapter changes {output}, which the base ties to {input}; the merged model stores both and sets tie_word_embeddings to false, as training saw them.</source>
        <translation>适配器修改了 {output}，而基础模型把它绑定到 {input}；合并后的模型会按训练时的样子分别保存两者，并把 tie_word_embeddings 设为 false。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="272"/>
        <source>{path} is a symbolic link to {target}, which does not exist, so it is not copied.</source>
        <translation>{path} 是指向 {target} 的符号链接，但目标不存在，因此不会复制。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="273"/>
        <source>Neither the training output nor the base has generation_config.json; the merged model will use transformers&apos; defaults for generation (EOS, sampling).</source>
        <translation>训练输出和基础模型中都没有 generation_config.json；合并后的模型生成时将使用 transformers 的默认值（结束符、采样）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="274"/>
        <source>Neither the training output nor the base ({base}) has tokenizer files; the merged folder will have no tokenizer.</source>
        <translation>训练输出和基础模型（{base}）中都没有分词器文件；合并后的文件夹将没有分词器。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="275"/>
        <source>Copy them from where the base came from.</source>
        <translation>从基础模型的来源处复制分词器文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="276"/>
        <source>The output folder {out} overlaps the input {input}; Mergesmith never writes into its inputs.</source>
        <translation>输出文件夹 {out} 与输入 {input} 重叠；Mergesmith 从不写入自己的输入。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="277"/>
        <source>The output folder {out} already exists and is not empty.</source>
        <translation>输出文件夹 {out} 已存在且不为空。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="278"/>
        <source>Choose another folder, or allow replacing it ({opt_overwrite}); it is replaced only when the merge succeeds.</source>
        <translation>选择其他文件夹，或允许替换它（{opt_overwrite}）；只有合并成功后才会替换。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="279"/>
        <source>{out} exists and is a file.</source>
        <translation>{out} 已存在，而且是一个文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="280"/>
        <source>Choose a folder name that is free ({opt_out}).</source>
        <translation>选择一个未被占用的文件夹名（{opt_out}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="281"/>
        <source>Cannot write in {folder}.</source>
        <translation>无法写入 {folder}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="282"/>
        <source>{name} was left by an interrupted run; it is removed when this one starts.</source>
        <translation>{name} 是中断的运行留下的；本次运行开始时会删除它。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="283"/>
        <source>This writes {size} but only {free} is free on the disk of {folder}.</source>
        <translation>需要写入 {size}，但 {folder} 所在磁盘只剩 {free}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="284"/>
        <source>...and {count} more tensor(s) differ beyond {ulp} ulp.</source>
        <translation>……另有 {count} 个张量的差异超过 {ulp} ulp。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="285"/>
        <source>{name} should be in the folder but is not.</source>
        <translation>{name} 应当在文件夹中，但没有找到。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="286"/>
        <source>Merge again.</source>
        <translation>重新合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="287"/>
        <source>{name} should be in {part} but is not.</source>
        <translation>{name} 应当在 {part} 中，但没有找到。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="288"/>
        <source>The adapter changes {name}, but the base model has no such tensor.</source>
        <translation>适配器修改了 {name}，但基础模型中没有这个张量。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="289"/>
        <source>Check the base model ({opt_base}).</source>
        <translation>检查基础模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="290"/>
        <source>{name} is {got} in the folder but the inputs give {want}; the folder was merged from other inputs.</source>
        <translation>{name} 在文件夹中是 {got}，但按输入应为 {want}；这个文件夹是用别的输入合并的。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="291"/>
        <source>The folder holds {count} tensor(s) the inputs do not give ({names}).</source>
        <translation>文件夹中有 {count} 个输入里没有的张量（{names}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="292"/>
        <source>The folder holds {count} tensor(s) that belong to no part of the inputs ({names}); it was not merged from these inputs.</source>
        <translation>文件夹中有 {count} 个不属于任何输入的张量（{names}）；它不是用这些输入合并的。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="293"/>
        <source>Check the training output, the base model and the visual encoder ({opt_source}, {opt_base}, {opt_visual_encoder}), or merge again.</source>
        <translation>检查训练输出、基础模型和视觉编码器（{opt_source}、{opt_base}、{opt_visual_encoder}），或重新合并。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="294"/>
        <source>On a test prompt the merged model&apos;s logits differ from base + adapter by {merged}, {ratio} of the adapter&apos;s own effect ({adapter}); the merge does not reproduce the adapter.</source>
        <translation>在一条测试提示上，合并后模型的 logits 与“基础模型 + 适配器”相差 {merged}，达到适配器自身影响（{adapter}）的 {ratio}；合并结果没有复现适配器。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="295"/>
        <source>The base model {name} in the Hugging Face cache (snapshot {version}) lacks {files}; the output will be written without what is missing.</source>
        <translation>Hugging Face 缓存中的基础模型 {name}（快照 {version}）缺少 {files}；输出将不包含缺少的文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="296"/>
        <source>The base model {name} in the ModelScope cache (revision {version}) lacks {files}; the output will be written without what is missing.</source>
        <translation>ModelScope 缓存中的基础模型 {name}（版本 {version}）缺少 {files}；输出将不包含缺少的文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="297"/>
        <source>The metadata block at the top of {card} (between the --- lines) is unusable: {error}. The Hub refuses such a card and huggingface_hub cannot load it.</source>
        <translation>{card} 开头的元数据（两行 --- 之间）无法使用：{error}。Hub 会拒绝这样的模型卡，huggingface_hub 也无法加载它。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="298"/>
        <source>Cancelled; nothing was written.</source>
        <translation>已取消；没有写入任何内容。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="299"/>
        <source>The base model folder {folder} does not exist.</source>
        <translation>基础模型文件夹 {folder} 不存在。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="300"/>
        <source>Choose the folder of the model the adapter was trained on ({opt_base}).</source>
        <translation>选择训练此适配器时所用模型的文件夹（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="301"/>
        <source>The visual encoder folder {folder} does not exist.</source>
        <translation>视觉编码器文件夹 {folder} 不存在。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="302"/>
        <source>Choose the folder of the visual encoder the model was trained with ({opt_visual_encoder}).</source>
        <translation>选择训练此模型时所用视觉编码器的文件夹（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="303"/>
        <source>The base model {folder} is a file.</source>
        <translation>基础模型 {folder} 是一个文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="304"/>
        <source>Choose the model&apos;s folder ({opt_base}).</source>
        <translation>选择模型所在的文件夹（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="305"/>
        <source>The visual encoder {folder} is a file.</source>
        <translation>视觉编码器 {folder} 是一个文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="306"/>
        <source>Choose the model&apos;s folder ({opt_visual_encoder}).</source>
        <translation>选择模型所在的文件夹（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="307"/>
        <source>{folder} is an adapter, not a base model.</source>
        <translation>{folder} 是适配器，不是基础模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="308"/>
        <source>Choose the full model the adapter was trained on ({opt_base}).</source>
        <translation>选择训练此适配器时所用的完整模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="309"/>
        <source>{folder} is an adapter, not a visual encoder.</source>
        <translation>{folder} 是适配器，不是视觉编码器。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="310"/>
        <source>Choose the full visual encoder model ({opt_visual_encoder}).</source>
        <translation>选择完整的视觉编码器模型（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="311"/>
        <source>{folder} has no config.json, so it is not a full model folder.</source>
        <translation>{folder} 中没有 config.json，因此不是完整的模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="312"/>
        <source>Choose the visual encoder the model was trained with ({opt_visual_encoder}).</source>
        <translation>选择训练此模型时所用的视觉编码器（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="313"/>
        <source>The base model {folder} is quantized ({method}); Mergesmith merges into 16-bit weights.</source>
        <translation>基础模型 {folder} 是量化过的（{method}）；Mergesmith 只合并到 16 位权重中。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="314"/>
        <source>Choose the original float16/bfloat16 model it was quantized from (for a QLoRA adapter, the model named before quantization) ({opt_base}).</source>
        <translation>选择量化之前的原始 float16/bfloat16 模型（对 QLoRA 适配器来说，就是量化前指定的那个模型）（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="315"/>
        <source>The visual encoder {folder} is quantized ({method}); Mergesmith merges into 16-bit weights.</source>
        <translation>视觉编码器 {folder} 是量化过的（{method}）；Mergesmith 只合并到 16 位权重中。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="316"/>
        <source>Choose the original float16/bfloat16 model it was quantized from ({opt_visual_encoder}).</source>
        <translation>选择量化之前的原始 float16/bfloat16 模型（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="317"/>
        <source>{path} does not exist.</source>
        <translation>{path} 不存在。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="318"/>
        <source>Check the path.</source>
        <translation>请检查路径。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="319"/>
        <source>{path} is not itself a training output, but it holds {names}.</source>
        <translation>{path} 本身不是训练输出，但其中包含 {names}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="320"/>
        <source>Point at one of those folders instead.</source>
        <translation>请改为选择其中一个文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="321"/>
        <source>Point at that folder instead.</source>
        <translation>请改为选择那个文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="322"/>
        <source>{path} is not a training output Mergesmith knows: expected a PEFT adapter (adapter_config.json + adapter_model.safetensors), an XTuner work_dir or converted folder, a .pth checkpoint, or a model folder with config.json.</source>
        <translation>{path} 不是 Mergesmith 认识的训练输出：应当是 PEFT 适配器（adapter_config.json + adapter_model.safetensors）、XTuner 的 work_dir 或转换后的文件夹、.pth 检查点，或含有 config.json 的模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="323"/>
        <source>Point at one of those.</source>
        <translation>请选择以上之一。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="324"/>
        <source>{path} is not a file Mergesmith can read.</source>
        <translation>{path} 不是 Mergesmith 能读取的文件。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="325"/>
        <source>Point at a training output folder, an XTuner .pth checkpoint or a DeepSpeed iter_N.pth folder.</source>
        <translation>请选择训练输出文件夹、XTuner 的 .pth 检查点或 DeepSpeed 的 iter_N.pth 文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="326"/>
        <source>{name} asks to call {call} while loading; a checkpoint has no business doing that, so Mergesmith refused to read it (nothing was run).</source>
        <translation>{name} 在加载时要求调用 {call}；检查点不应该这样做，因此 Mergesmith 拒绝读取它（没有执行任何代码）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="327"/>
        <source>Do not open it with torch.load either; get the checkpoint again from a source you trust.</source>
        <translation>也不要用 torch.load 打开它；请从可信的来源重新获取检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="328"/>
        <source>{name} asks to build far more data ({what}) than a checkpoint holds; it is crafted or damaged, so Mergesmith refused to read it (nothing was run).</source>
        <translation>{name} 要求构建的数据（{what}）远多于检查点应有的大小；它是被特意构造的或已损坏，因此 Mergesmith 拒绝读取它（没有执行任何代码）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="329"/>
        <source>Get the checkpoint again from a source you trust.</source>
        <translation>请从可信的来源重新获取检查点。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="330"/>
        <source>{out} appeared while planning.</source>
        <translation>规划期间出现了 {out}。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="331"/>
        <source>Choose another output folder or allow replacing it ({opt_overwrite}).</source>
        <translation>选择其他输出文件夹，或允许替换它（{opt_overwrite}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="332"/>
        <source>Writing {out} stopped because the disk ran out of space on the disk of {folder} ({free} free now); the partial output was removed.</source>
        <translation>写入 {out} 时中止：{folder} 所在磁盘空间已用完（现在剩余 {free}）；写了一半的输出已删除。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="333"/>
        <source>Writing {out} stopped because your disk quota ran out on the disk of {folder} ({free} free now); the partial output was removed.</source>
        <translation>写入 {out} 时中止：你在 {folder} 所在磁盘上的配额已用完（现在剩余 {free}）；写了一半的输出已删除。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="334"/>
        <source>Writing {out} stopped because a file grew larger than the file system allows on the disk of {folder} ({free} free now); the partial output was removed.</source>
        <translation>写入 {out} 时中止：{folder} 所在文件系统不允许这么大的文件（现在剩余 {free}）；写了一半的输出已删除。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="335"/>
        <source>{repo_id} on the Hub has no config.json, so it is not a transformers model Mergesmith can merge into; check the id.</source>
        <translation>Hub 上的 {repo_id} 没有 config.json，因此不是 Mergesmith 能合并进去的 transformers 模型；请检查 ID。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="336"/>
        <source>{repo_id}&apos;s {index} names {count} shard(s) the repo does not hold ({first}); the repo is incomplete, choose another revision.</source>
        <translation>{repo_id} 的 {index} 列出了 {count} 个仓库中没有的分片（{first}）；该仓库不完整，请选择另一个版本。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="337"/>
        <source>{repo_id} on the Hub has no safetensors or PyTorch weights Mergesmith can read; choose a repo with model.safetensors or its shards.</source>
        <translation>Hub 上的 {repo_id} 没有 Mergesmith 能读取的 safetensors 或 PyTorch 权重；请选择含 model.safetensors 或其分片的仓库。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="338"/>
        <source>{repo_id} on the Hub has no safetensors or PyTorch weights Mergesmith can read (it holds {others}); choose a repo with model.safetensors or its shards.</source>
        <translation>Hub 上的 {repo_id} 没有 Mergesmith 能读取的 safetensors 或 PyTorch 权重（其中有 {others}）；请选择含 model.safetensors 或其分片的仓库。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="339"/>
        <source>{index} of {repo_id} has no weight_map; the repo is broken, choose another.</source>
        <translation>{repo_id} 的 {index} 没有 weight_map；该仓库已损坏，请换一个。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="340"/>
        <source>Cannot download {repo_id}: HF_HUB_OFFLINE (or TRANSFORMERS_OFFLINE) is set, so huggingface_hub will not connect; unset it, or pass the base model&apos;s folder with {opt_base}.</source>
        <translation>无法下载 {repo_id}：已设置 HF_HUB_OFFLINE（或 TRANSFORMERS_OFFLINE），huggingface_hub 不会联网；请取消该设置，或在{opt_base}中选择基础模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="341"/>
        <source>Downloading {repo_id} needs {need} but the disk holding the Hugging Face cache {cache} has {free} free; free some space, or set HF_HUB_CACHE to a folder on a bigger disk.</source>
        <translation>下载 {repo_id} 需要 {need}，但 Hugging Face 缓存 {cache} 所在磁盘只剩 {free}；请腾出空间，或将 HF_HUB_CACHE 设为更大磁盘上的文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="342"/>
        <source>{repo_id} is gated: accept its conditions on its Hub page, then log in with huggingface-cli login (or set HF_TOKEN) and download again.</source>
        <translation>{repo_id} 需要授权：请在它的 Hub 页面上接受使用条件，然后用 huggingface-cli login 登录（或设置 HF_TOKEN），再重新下载。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="343"/>
        <source>There is no model {repo_id} on the Hub (or it is private): check the id, or log in with huggingface-cli login (or set HF_TOKEN) if it is yours.</source>
        <translation>Hub 上没有模型 {repo_id}（或它是私有的）：请检查 ID；如果是你自己的模型，请用 huggingface-cli login 登录（或设置 HF_TOKEN）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="344"/>
        <source>{repo_id} has no revision {revision} on the Hub; check the revision.</source>
        <translation>Hub 上的 {repo_id} 没有版本 {revision}；请检查版本。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="345"/>
        <source>Cannot reach the Hub ({endpoint}) to download {what}: connect to the network and run again (finished files are kept), or pass the base model&apos;s folder with {opt_base}.</source>
        <translation>无法连接 Hub（{endpoint}）下载 {what}：请联网后重试（已下载完的文件会保留），或在{opt_base}中选择基础模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="346"/>
        <source>{repo_id} on the Hub has no file {name} at revision {revision}; check the id and revision, or pass the base model&apos;s folder with {opt_base}.</source>
        <translation>Hub 上的 {repo_id} 在版本 {revision} 中没有文件 {name}；请检查 ID 和版本，或在{opt_base}中选择基础模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="347"/>
        <source>The disk holding the Hugging Face cache {cache} is full (while downloading {what}); free some space, or set HF_HUB_CACHE to a folder on a bigger disk.</source>
        <translation>Hugging Face 缓存 {cache} 所在磁盘已满（下载 {what} 时）；请腾出空间，或将 HF_HUB_CACHE 设为更大磁盘上的文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="348"/>
        <source>The Hub answered {status} while downloading {what}; try again later (finished files are kept), or pass the base model&apos;s folder with {opt_base}.</source>
        <translation>下载 {what} 时 Hub 返回 {status}；请稍后重试（已下载完的文件会保留），或在{opt_base}中选择基础模型文件夹。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="349"/>
        <source>Downloading {what} failed: {error}; check the Hugging Face cache {cache} and run again.</source>
        <translation>下载 {what} 失败：{error}；请检查 Hugging Face 缓存 {cache} 后重试。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="350"/>
        <source>No base model given.</source>
        <translation>没有指定基础模型。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="351"/>
        <source>This adapter was trained on another model than the base {base} ({base_desc}); choose the base it was trained on ({opt_base}).</source>
        <translation>此适配器是在另一个模型上训练的，而不是基础模型 {base}（{base_desc}）；请选择训练时所用的基础模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="352"/>
        <source>It was trained from another model than {base} ({base_desc}); choose the model it was trained from ({opt_base}).</source>
        <translation>它是从另一个模型训练的，而不是 {base}（{base_desc}）；请选择训练时所用的模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="353"/>
        <source>This adapter was trained on {named}, not on the base {base} ({base_desc}); choose the base it was trained on ({opt_base}).</source>
        <translation>此适配器是在 {named} 上训练的，而不是基础模型 {base}（{base_desc}）；请选择训练时所用的基础模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="354"/>
        <source>It was trained from {named}, not from {base} ({base_desc}); choose that model ({opt_base}).</source>
        <translation>它是从 {named} 训练的，而不是 {base}（{base_desc}）；请选择那个模型（{opt_base}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="355"/>
        <source>It was trained from {named}, not from {base} ({base_desc}); choose that visual encoder ({opt_visual_encoder}).</source>
        <translation>它是从 {named} 训练的，而不是 {base}（{base_desc}）；请选择那个视觉编码器（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_catalogue.py" line="356"/>
        <source>It was trained from another model than {base} ({base_desc}); choose the visual encoder it was trained from ({opt_visual_encoder}).</source>
        <translation>它是从另一个模型训练的，而不是 {base}（{base_desc}）；请选择训练时所用的视觉编码器（{opt_visual_encoder}）。</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="38"/>
        <source>the Base model field</source>
        <translation>“基础模型”栏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="39"/>
        <source>the Visual encoder field</source>
        <translation>“视觉编码器”栏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="40"/>
        <source>“Replace the output folder if it exists”</source>
        <translation>“输出文件夹已存在时替换”</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="41"/>
        <source>the Dtype menu</source>
        <translation>“数据类型”菜单</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="42"/>
        <source>the Format menu</source>
        <translation>“格式”菜单</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="43"/>
        <source>the Iteration menu</source>
        <translation>“迭代”菜单</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="44"/>
        <source>the Output folder field</source>
        <translation>“输出文件夹”栏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="45"/>
        <source>the Training output field</source>
        <translation>“训练输出”栏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="46"/>
        <source>the “Copy missing files from” field</source>
        <translation>“缺失文件来源”栏</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="47"/>
        <location filename="../../gui/problem_text.py" line="49"/>
        <source>Fix</source>
        <translation>“修复”</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="48"/>
        <source>Fix, with the model chosen under “Copy missing files from”</source>
        <translation>在“缺失文件来源”中选择模型后点“修复”</translation>
    </message>
    <message>
        <location filename="../../gui/problem_text.py" line="50"/>
        <source>a scan of the output&apos;s values, from the command line (mergesmith inspect)</source>
        <translation>命令行的数值扫描（mergesmith inspect）</translation>
    </message>
</context>
</TS>
